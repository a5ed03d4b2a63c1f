"""Fake model servers and routers pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import pytest

from flowstead.engine.ports import ChatChunk, ChatMessage, ChatRequest
from flowstead.providers.config import ProviderConfig, ProviderKind, ProviderOptions
from flowstead.providers.router import ProviderRouter
from tests.fakes.fixtures import anthropic_server as anthropic_server
from tests.fakes.fixtures import echo_server as echo_server
from tests.fakes.fixtures import model_server as model_server
from tests.fakes.fixtures import ollama_server as ollama_server
from tests.fakes.fixtures import openai_server as openai_server
from tests.fakes.models import FakeModelServer


class Sleeps(list[float]):
    """Records the waits the router asks for instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Harness:
    """A router with one provider, `provider_id`, configured for a fake server."""

    def __init__(self, router: ProviderRouter, config: ProviderConfig, sleeps: Sleeps):
        self.router = router
        self.config = config
        self.provider_id = config.id
        self.sleeps = sleeps

    def request(self, text: str = "hi there", **fields: Any) -> ChatRequest:
        messages = (ChatMessage("system", "Be brief."), ChatMessage("user", text))
        return ChatRequest(
            provider=self.provider_id, model="fake-chat", messages=messages, **fields
        )

    async def collect(
        self, request: ChatRequest | None = None, *, into: list[ChatChunk] | None = None
    ) -> list[ChatChunk]:
        """Stream `request`; chunks also go into `into` as they arrive (kept on failure)."""
        chunks = [] if into is None else into
        async for chunk in self.router.stream(request or self.request()):
            chunks.append(chunk)
        return chunks


MakeHarness = Callable[..., Harness]


@pytest.fixture
async def harness() -> AsyncIterator[MakeHarness]:
    """`harness(server, kind=..., base_url=..., secrets=..., **options)` builds a Harness.

    Timeouts and backoff are short so fault tests stay fast; the routers close after the
    test."""
    routers: list[ProviderRouter] = []

    def make(
        server: FakeModelServer | None = None,
        *,
        kind: ProviderKind | None = None,
        base_url: str | None = None,
        secrets: dict[str, str] | None = None,
        **options: Any,
    ) -> Harness:
        kind = kind or (server.kind if server else "openai")
        config = ProviderConfig(
            id=f"fake-{kind}",
            kind=kind,
            base_url=base_url or (server.base_url if server else ""),
            api_key_secret="key",
            options=msgspec.convert(
                {"connect_timeout": 1.0, "read_timeout": 2.0, "backoff_base": 0.01, **options},
                ProviderOptions,
            ),
        )
        sleeps = Sleeps()
        keys = {"key": "sk-test"} if secrets is None else secrets
        router = ProviderRouter({config.id: config}.get, keys.get, sleep=sleeps)
        routers.append(router)
        return Harness(router, config, sleeps)

    yield make
    for router in routers:
        await router.aclose()

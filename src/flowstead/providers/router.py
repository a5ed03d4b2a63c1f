"""The `LLM` port over every configured provider, with one pooled HTTP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Protocol

import httpx
import msgspec

from flowstead.engine.ports import ChatChunk, ChatRequest, LLMError
from flowstead.providers.anthropic import AnthropicProvider
from flowstead.providers.anthropic import auth_headers as anthropic_headers
from flowstead.providers.config import ProviderConfig, ProviderKind, SecretLookup
from flowstead.providers.http import tls_context
from flowstead.providers.ollama import OllamaProvider
from flowstead.providers.openai_compat import OpenAICompatProvider
from flowstead.providers.transport import AuthHeaders, Sleep, Transport, resolve
from flowstead.providers.wire import bearer

ProviderLookup = Callable[[str], ProviderConfig | Awaitable[ProviderConfig | None] | None]
"""Returns a provider's settings by id (sync or async); called on every request."""


class Provider(Protocol):
    """What each adapter (one per provider kind) offers the router."""

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]: ...

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]: ...

    async def list_models(self) -> list[str]: ...


# Ollama needs no key, but a reverse proxy in front of it may want a bearer token.
ADAPTERS: dict[ProviderKind, tuple[Callable[[Transport], Provider], AuthHeaders]] = {
    "openai": (OpenAICompatProvider, bearer),
    "ollama": (OllamaProvider, bearer),
    "anthropic": (AnthropicProvider, anthropic_headers),
}


class ProviderCheck(msgspec.Struct, frozen=True):
    """The outcome of a connectivity check: `ok`, and what was found or what failed."""

    ok: bool
    message: str


class ProviderRouter:
    """Implements `LLM` by dispatching each request to the provider it names.

    `providers` and `secrets` are consulted on every call, so settings and keys changed in
    the database apply to the next request. A plain dict works too: pass `configs.get`.
    """

    def __init__(
        self,
        providers: ProviderLookup,
        secrets: SecretLookup,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._providers = providers
        self._secrets = secrets
        self._sleep = sleep  # injected so tests can check retry waits without waiting
        self._pool: httpx.AsyncClient | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        # Made on the first request: every server and the worker hold a router from the
        # start, and most of them stay idle.
        if self._pool is None:
            self._pool = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                verify=tls_context(),
            )
        return self._pool

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        provider = await self._provider(request.provider, request.model)
        async for chunk in provider.stream(request):
            yield chunk

    async def embed(self, provider_id: str, model: str, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        provider = await self._provider(provider_id, model)
        return await provider.embed(model, texts)

    async def list_models(self, provider_id: str) -> list[str]:
        provider = await self._provider(provider_id, "model list")
        return await provider.list_models()

    async def test(self, provider_id: str) -> ProviderCheck:
        """A cheap connectivity check: list the models and say how many there are."""
        try:
            models = await self.list_models(provider_id)
        except LLMError as exc:
            return ProviderCheck(ok=False, message=str(exc))
        return ProviderCheck(ok=True, message=f"{len(models)} models available")

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def __aenter__(self) -> ProviderRouter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _provider(self, provider_id: str, model: str) -> Provider:
        config = await resolve(self._providers(provider_id))
        if config is None:
            raise LLMError(provider_id, model, f"provider {provider_id} is not configured")
        adapter, auth = ADAPTERS[config.kind]
        return adapter(Transport(self._client, config, self._secrets, auth, self._sleep))

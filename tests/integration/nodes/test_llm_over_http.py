"""The LLM node over real HTTP: a ProviderRouter talking to the fake model servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import llm
from flowstead.providers.config import ProviderConfig, ProviderOptions
from flowstead.providers.router import ProviderRouter
from tests.fakes import ErrorStatus, FakeModelServer, Hang, Reply
from tests.fakes.fixtures import model_server as model_server
from tests.fakes.fixtures import openai_server as openai_server
from tests.unit.nodes.context import TestContext, make_node

CONFIG = {
    "model": {"provider": "fake", "name": "fake-chat", "max_tokens": 64},
    "system": "Be brief.",
    "messages": [{"role": "user", "text": "{{ start.question }}"}],
}
VALUES = {"start": {"question": "Why is the sky blue?"}}


@dataclass
class WatchedContext(TestContext):
    """Sets `arrived` once `wanted` pieces of text have been streamed."""

    wanted: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def stream_text(self, text: str) -> None:
        await super().stream_text(text)
        if len(self.streamed) >= self.wanted:
            self.arrived.set()


@pytest.fixture
async def router_for() -> AsyncIterator[Any]:
    routers: list[ProviderRouter] = []

    def make(server: FakeModelServer) -> ProviderRouter:
        options = ProviderOptions(connect_timeout=2.0, read_timeout=5.0, max_retries=0)
        config = ProviderConfig("fake", server.kind, server.base_url, options=options)
        router = ProviderRouter({"fake": config}.get, {}.get)
        routers.append(router)
        return router

    yield make
    for router in routers:
        await router.aclose()


def context(router: ProviderRouter, wanted: int = 0, **config: Any) -> WatchedContext:
    node = make_node("llm", {**CONFIG, **config})
    return WatchedContext(node=node, values=VALUES, llm=router, wanted=wanted)


async def run(ctx: WatchedContext) -> NodeResult:
    return await llm.run(msgspec.convert(ctx.node.config, llm.LLMConfig), ctx)


async def test_text_is_streamed_while_the_server_is_still_sending(
    openai_server: FakeModelServer, router_for: Any
) -> None:
    # Frames: the role delta, "Rayleigh ", "scattering ", then a pause, then the rest.
    openai_server.enqueue(
        Reply(text="Rayleigh scattering makes it blue.", fault=Hang(seconds=1.0, after=3))
    )
    ctx = context(router_for(openai_server), wanted=2)

    node = asyncio.create_task(run(ctx))
    await asyncio.wait_for(ctx.arrived.wait(), timeout=5)

    assert ctx.streamed == ["Rayleigh ", "scattering "]
    assert not node.done()
    result = await node
    assert result.status == "succeeded", result.error
    assert ctx.streamed == ["Rayleigh ", "scattering ", "makes ", "it ", "blue."]
    assert result.outputs["text"] == "Rayleigh scattering makes it blue."
    body = openai_server.requests[-1].json
    assert body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Why is the sky blue?"},
    ]


async def test_each_provider_streams_pieces_and_separates_reasoning(
    model_server: FakeModelServer, router_for: Any
) -> None:
    model_server.enqueue(
        Reply(
            text=["<thi", "nk>inline</th", "ink>\n", "Blue ", "light."],
            reasoning=["native ", "thoughts"],
            prompt_tokens=11,
            completion_tokens=7,
        )
    )
    ctx = context(router_for(model_server))

    result = await run(ctx)

    assert result.status == "succeeded", result.error
    assert ctx.streamed == ["Blue ", "light."]
    assert result.outputs["text"] == "Blue light."
    assert result.outputs["reasoning"] == "native thoughtsinline"
    assert result.outputs["usage"] == {
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "total_tokens": 18,
    }


async def test_structured_output_over_openai(
    openai_server: FakeModelServer, router_for: Any
) -> None:
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string"}},
        "required": ["colour"],
    }
    openai_server.enqueue(Reply(text=['{"col', 'our": "blue"}']))
    ctx = context(router_for(openai_server), json_schema=schema)

    result = await run(ctx)

    assert result.outputs["structured_output"] == {"colour": "blue"}
    format_ = openai_server.requests[-1].json["response_format"]
    assert format_["type"] == "json_schema"
    assert format_["json_schema"]["schema"] == schema


async def test_a_server_error_is_a_failed_result(
    openai_server: FakeModelServer, router_for: Any
) -> None:
    ctx = context(router_for(openai_server), model={"provider": "fake", "name": "missing"})
    openai_server.enqueue(ErrorStatus(404, "model 'missing' not found"))

    result = await run(ctx)

    assert result.status == "failed"
    assert result.error is not None
    assert "missing" in result.error
    assert "not found" in result.error

"""Streaming chat over real HTTP against each fake provider: text, reasoning, tools, usage."""

from __future__ import annotations

import json

import msgspec
import pytest

from flowstead.engine.ports import ChatChunk, ChatMessage, LLMError, ToolCall, ToolSpec, Usage
from tests.fakes import FakeModelServer, FakeToolCall, Hang, Reply
from tests.integration.providers.conftest import MakeHarness

WEATHER = ToolSpec(
    name="weather",
    description="Current weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)


async def test_text_arrives_in_several_chunks_in_order(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server)
    model_server.enqueue(Reply(text=["Hel", "lo, ", "world", "!"]))

    chunks = await h.collect()

    assert [c.text for c in chunks if c.text] == ["Hel", "lo, ", "world", "!"]
    assert chunks[-1].finish_reason == "stop"
    assert all(c.finish_reason is None for c in chunks[:-1])


async def test_chunks_reach_the_caller_before_the_stream_ends(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    # The server stalls before its last text frame: the first two must already be here.
    last_text_frame = {"openai": 3, "ollama": 2, "anthropic": 5}[model_server.kind]
    model_server.enqueue(
        Reply(text=["one ", "two ", "three"], fault=Hang(seconds=30, after=last_text_frame))
    )
    h = harness(model_server, read_timeout=0.3)
    received: list[ChatChunk] = []

    with pytest.raises(LLMError, match="timed out"):
        await h.collect(into=received)

    assert [c.text for c in received] == ["one ", "two "]


async def test_reasoning_is_separate_from_text(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    model_server.enqueue(Reply(reasoning="First, think. ", text="The answer is 4."))

    chunks = await harness(model_server).collect()

    assert "".join(c.reasoning for c in chunks) == "First, think. "
    assert "".join(c.text for c in chunks) == "The answer is 4."
    assert not any(c.text and c.reasoning for c in chunks)


async def test_tool_calls_are_assembled_whole(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server)
    model_server.enqueue(
        Reply(
            tool_calls=[
                FakeToolCall("weather", {"city": "Lisbon", "unit": "celsius"}, id="call_a"),
                FakeToolCall("weather", {"city": "Porto"}, id="call_b"),
            ]
        )
    )

    chunks = await h.collect(h.request("Weather in Lisbon and Porto?", tools=(WEATHER,)))

    calls = [call for c in chunks for call in c.tool_calls]
    assert [(c.id, c.name) for c in calls] == [("call_a", "weather"), ("call_b", "weather")]
    assert [json.loads(c.arguments) for c in calls] == [
        {"city": "Lisbon", "unit": "celsius"},
        {"city": "Porto"},
    ]
    assert chunks[-1].finish_reason == "tool_calls"
    sent = model_server.requests[-1].json
    names = [t.get("name") or t["function"]["name"] for t in sent["tools"]]
    assert names == ["weather"]


async def test_usage_comes_with_the_last_chunk(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    model_server.enqueue(Reply(text="Short answer.", prompt_tokens=17, completion_tokens=3))

    chunks = await harness(model_server).collect()

    assert chunks[-1].usage == Usage(prompt_tokens=17, completion_tokens=3)
    assert all(c.usage is None for c in chunks[:-1])


async def test_a_tool_result_round_trip_reaches_the_server(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server)
    call = ToolCall(id="call_1", name="weather", arguments='{"city": "Oslo"}')
    first = h.request("Weather in Oslo?", tools=(WEATHER,), temperature=0.2)
    request = msgspec.structs.replace(
        first,
        messages=(
            *first.messages,
            ChatMessage("assistant", "", tool_calls=(call,)),
            ChatMessage("tool", "-3 and snowing", tool_call_id="call_1"),
        ),
    )

    await h.collect(request)

    sent = model_server.requests[-1].json
    assert sent["model"] == "fake-chat"
    assert sent["stream"] is True
    assert "Be brief." in json.dumps(sent)
    assert "-3 and snowing" in json.dumps(sent["messages"][-1])
    assert "Oslo" in json.dumps(sent["messages"][-2])

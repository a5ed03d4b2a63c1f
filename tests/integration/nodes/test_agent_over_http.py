"""A whole workflow, Start → Agent → End, run by the engine: the model is a fake server of
each wire format reached through the real provider code, and `http_get_json` calls a real
HTTP server on loopback through the real HTTP client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from flowstead.dsl.document import parse
from flowstead.engine.collaborators import Collaborators
from flowstead.engine.engine import CompiledWorkflow
from flowstead.engine.events import AnyEvent, NodeFinished, RunFinished, TextChunk
from flowstead.engine.node import RunInfo
from flowstead.providers.config import ProviderConfig, ProviderOptions
from flowstead.providers.http import HttpxHttpClient
from flowstead.providers.router import ProviderRouter
from tests.fakes import FakeModelServer, FakeToolCall, Reply
from tests.fakes.echo import EchoServer
from tests.fakes.fixtures import echo_server as echo_server
from tests.fakes.fixtures import model_server as model_server

WORKFLOW = """
flowstead: 1
name: Agent
nodes:
  - {id: start, type: start, config: {inputs: [{name: question}]}}
  - id: agent
    type: agent
    config:
      model: {provider: fake, name: fake-chat}
      instruction: You answer with the tools you have.
      query: "{{ start.question }}"
      tools:
        - {name: current_time, parameters: {timezone: UTC}}
        - {name: http_get_json}
  - id: end
    type: end
    config:
      outputs:
        - {name: answer, value: agent.text}
        - {name: steps, value: agent.log}
        - {name: usage, value: agent.usage}
edges:
  - {from: start, to: agent}
  - {from: agent, to: end}
"""


@pytest.fixture
async def collaborators(model_server: FakeModelServer) -> AsyncIterator[Collaborators]:
    options = ProviderOptions(connect_timeout=2.0, read_timeout=5.0, max_retries=0)
    config = ProviderConfig("fake", model_server.kind, model_server.base_url, options=options)
    router = ProviderRouter({"fake": config}.get, {}.get)
    http = HttpxHttpClient()
    yield Collaborators(llm=router, http=http)
    await router.aclose()
    await http.aclose()


async def run(collaborators: Collaborators, question: str) -> list[AnyEvent]:
    compiled = CompiledWorkflow.compile(parse(WORKFLOW))
    info = RunInfo(run_id="run-1", workflow_id="wf-1")
    events: list[AnyEvent] = []
    async with asyncio.timeout(20):
        stream = compiled.run({"question": question}, info, collaborators)
        async with contextlib.aclosing(stream):
            async for event in stream:
                events.append(event)  # type: ignore[arg-type]
    return events


def tool_results(kind: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    """(call id or tool name, content) of each tool result in a request, in its wire format."""
    messages = body["messages"]
    if kind == "openai":
        return [(m["tool_call_id"], m["content"]) for m in messages if m["role"] == "tool"]
    if kind == "ollama":
        return [(m["tool_name"], m["content"]) for m in messages if m["role"] == "tool"]
    return [
        (block["tool_use_id"], block["content"])
        for m in messages
        if m["role"] == "user" and isinstance(m["content"], list)
        for block in m["content"]
        if block.get("type") == "tool_result"
    ]


async def test_the_agent_calls_tools_then_streams_its_answer(
    model_server: FakeModelServer, echo_server: EchoServer, collaborators: Collaborators
) -> None:
    weather = f"{echo_server.url}/weather"
    model_server.enqueue(
        Reply(
            tool_calls=[
                FakeToolCall("current_time", {"format": "%Y"}, id="call_time"),
                FakeToolCall("http_get_json", {"url": weather}, id="call_weather"),
            ],
            prompt_tokens=30,
            completion_tokens=5,
        ),
        Reply(text="Sunny all day today.", prompt_tokens=60, completion_tokens=4),
    )

    events = await run(collaborators, "Weather?")

    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.status == "succeeded", finished.error
    chunks = [e.text for e in events if isinstance(e, TextChunk) and e.node_id == "agent"]
    assert chunks == ["Sunny ", "all ", "day ", "today."]
    outputs = finished.outputs
    assert outputs["answer"] == "Sunny all day today."
    assert outputs["usage"] == {"prompt_tokens": 90, "completion_tokens": 9, "total_tokens": 99}
    time_step, weather_step = outputs["steps"]
    assert time_step["tool"] == "current_time"
    assert time_step["result"].isdigit()
    assert weather_step["arguments"] == {"url": weather}
    assert json.loads(weather_step["result"])["path"] == "/weather"
    (agent_done,) = [e for e in events if isinstance(e, NodeFinished) and e.node_id == "agent"]
    assert agent_done.outputs["iterations"] == 2

    first, second = (r.json for r in model_server.requests)
    offered = json.dumps(first["tools"])
    assert "http_get_json" in offered
    assert "timezone" not in offered  # fixed: the model never sees it
    results = tool_results(model_server.kind, second)
    assert results[0][1] == time_step["result"]
    assert json.loads(results[1][1])["path"] == "/weather"
    if model_server.kind == "ollama":  # Ollama names the tool instead of the call
        assert [name for name, _ in results] == ["current_time", "http_get_json"]
    else:
        assert [name for name, _ in results] == ["call_time", "call_weather"]
    assert echo_server.requests[-1].path == "/weather"


async def test_a_failing_tool_is_told_to_the_model_over_the_wire(
    model_server: FakeModelServer, echo_server: EchoServer, collaborators: Collaborators
) -> None:
    missing = f"{echo_server.url}/status/404"
    model_server.enqueue(
        Reply(tool_calls=[FakeToolCall("http_get_json", {"url": missing}, id="c1")]),
        Reply(text="The service is down."),
    )

    events = await run(collaborators, "Weather?")

    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.status == "succeeded", finished.error
    (result,) = tool_results(model_server.kind, model_server.requests[-1].json)
    assert result[1] == f"Error: {missing} answered HTTP 404: status 404"
    assert finished.outputs["steps"][0]["error"] == f"{missing} answered HTTP 404: status 404"

"""Fakes and shortcuts for whole-graph engine tests: workflows are YAML documents."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from flowstead.dsl.document import parse
from flowstead.engine.collaborators import Collaborators
from flowstead.engine.engine import CompiledWorkflow
from flowstead.engine.events import (
    AnyEvent,
    Event,
    NodeFinished,
    NodeSkipped,
    NodeSnapshot,
    NodeStarted,
    RunFinished,
    Snapshot,
    TextChunk,
)
from flowstead.engine.node import RunInfo
from flowstead.engine.ports import ChatChunk, ChatRequest, LLMError, Usage

E = TypeVar("E", bound=Event)
INFO = RunInfo(run_id="run-1", workflow_id="wf-1", user="ada")


class FakeClock:
    """Time moves only when a test (or a fake collaborator) moves it; `sleep` moves it."""

    def __init__(self) -> None:
        self.time = 1000.0

    def now(self) -> float:
        return 1_700_000_000.0 + self.time

    def monotonic(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.time += seconds
        await asyncio.sleep(0)


Behaviour = Callable[[ChatRequest], AsyncIterator[ChatChunk]]


class FakeLLM:
    """Answers by model name: each model is an async generator of chunks the test writes."""

    def __init__(self, **models: Behaviour) -> None:
        self.models = models
        self.calls: list[str] = []

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        self.calls.append(request.model)
        return self.models[request.model](request)


def replies(*texts: str, tokens: int = 0) -> Behaviour:
    """A model that streams `texts`, then reports `tokens` completion tokens."""

    async def behaviour(_request: ChatRequest) -> AsyncIterator[ChatChunk]:
        for text in texts:
            yield ChatChunk(text=text)
        yield ChatChunk(usage=Usage(completion_tokens=tokens), finish_reason="stop")

    return behaviour


def fails(message: str = "overloaded", times: int | None = None, then: str = "ok") -> Behaviour:
    """A model that fails (all the time, or the first `times` calls, then answers `then`)."""
    count = 0

    async def behaviour(request: ChatRequest) -> AsyncIterator[ChatChunk]:
        nonlocal count
        count += 1
        if times is None or count <= times:
            raise LLMError(request.provider, request.model, message)
        yield ChatChunk(text=then)

    return behaviour


def gated(*steps: str | Callable[[], Awaitable[None]]) -> Behaviour:
    """A model that streams text steps and awaits callable steps in between."""

    async def behaviour(_request: ChatRequest) -> AsyncIterator[ChatChunk]:
        for step in steps:
            if isinstance(step, str):
                yield ChatChunk(text=step)
            else:
                await step()

    return behaviour


def llm_node(node_id: str, model: str, prompt: str = "{{ start.q }}", **extra: Any) -> str:
    """The YAML of an LLM node using the fake provider (extra keys go on the node)."""
    lines = [
        f"  - id: {node_id}",
        "    type: llm",
        f"    config: {{model: {{provider: fake, name: {model}}}, "
        f"messages: [{{role: user, text: '{prompt}'}}]}}",
    ]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def compile_yaml(text: str) -> CompiledWorkflow:
    return CompiledWorkflow.compile(parse(text))


async def run(
    workflow: str | CompiledWorkflow,
    inputs: dict[str, Any] | None = None,
    *,
    llm: FakeLLM | None = None,
    clock: FakeClock | None = None,
    **options: Any,
) -> list[AnyEvent]:
    """Every event of one run, in order (fails the test rather than hang)."""
    compiled = compile_yaml(workflow) if isinstance(workflow, str) else workflow
    collaborators = Collaborators(llm=llm or FakeLLM(), clock=clock or FakeClock())
    events: list[AnyEvent] = []
    async with asyncio.timeout(5):
        stream = compiled.run(inputs or {}, INFO, collaborators, **options)
        async with contextlib.aclosing(stream):
            async for event in stream:
                events.append(event)  # type: ignore[arg-type]
    return events


def of(events: list[AnyEvent], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def finished(events: list[AnyEvent]) -> RunFinished:
    last = events[-1]
    assert isinstance(last, RunFinished), last
    return last


def statuses(events: list[AnyEvent]) -> dict[str, str]:
    """Each top-level node's last state: its finished status, or "skipped"."""
    result: dict[str, str] = {}
    for event in events:
        if isinstance(event, NodeFinished) and event.iteration_id is None and event.loop_id is None:
            result[event.node_id] = event.status
        elif isinstance(event, NodeSkipped) and event.iteration_id is None:
            result[event.node_id] = "skipped"
    return result


def started(events: list[AnyEvent]) -> list[str]:
    return [e.node_id for e in of(events, NodeStarted)]


def text_of(events: list[AnyEvent], node_id: str) -> list[str]:
    return [e.text for e in of(events, TextChunk) if e.node_id == node_id]


def snapshot_of(events: list[AnyEvent]) -> Snapshot:
    """What a store would keep of a run that stopped here: its finished top-level nodes."""
    nodes = {
        e.node_id: NodeSnapshot(e.status, e.outputs, e.handle)  # type: ignore[arg-type]
        for e in of(events, NodeFinished)
        if e.status in ("succeeded", "exception") and e.iteration_id is None and e.loop_id is None
    }
    return Snapshot(nodes=nodes)


class Barrier:
    """Opens once `parties` callers wait on it: proof they were in flight together."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.opened = asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.parties:
            self.opened.set()
        await self.opened.wait()

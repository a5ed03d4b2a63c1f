"""Stop, pause and resume through the command channel."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from flowstead.engine.collaborators import Collaborators
from flowstead.engine.commands import Command, InMemoryCommandChannel
from flowstead.engine.events import (
    AnyEvent,
    NodeFinished,
    NodeStarted,
    RunFinished,
    RunPaused,
    RunResumed,
    TextChunk,
)
from flowstead.engine.ports import ChatChunk, ChatRequest

from .helpers import INFO, FakeClock, FakeLLM, compile_yaml, finished, gated, llm_node, of, run

WORKFLOW = f"""
flowstead: 1
nodes:
  - {{id: start, type: start, config: {{inputs: [{{name: q}}]}}}}
{llm_node("ask", "m")}
  - {{id: shout, type: template, config: {{template: "{{{{ ask.text | upper }}}}"}}}}
  - {{id: end, type: end, config: {{outputs: [{{name: out, value: shout.output}}]}}}}
edges:
  - {{from: start, to: ask}}
  - {{from: ask, to: shout}}
  - {{from: shout, to: end}}
"""


async def drive(
    llm: FakeLLM,
    react: dict[type, Command],
    channel: InMemoryCommandChannel,
    until: type | None = None,
    **options: object,
) -> list[AnyEvent]:
    """Run WORKFLOW, sending a command the first time each kind of event arrives, and
    leaving at the first event of the type `until`."""
    events: list[AnyEvent] = []
    stream = compile_yaml(WORKFLOW).run(
        {"q": "hi"},
        INFO,
        Collaborators(llm=llm, clock=FakeClock()),
        commands=channel,
        **options,  # type: ignore[arg-type]
    )
    async with asyncio.timeout(5), contextlib.aclosing(stream):
        async for event in stream:
            events.append(event)  # type: ignore[arg-type]
            command = react.pop(type(event), None)
            if command is not None:
                channel.send(command)
            if until is not None and isinstance(event, until):
                break
    return events


def first_then_hang() -> FakeLLM:
    async def behaviour(_request: ChatRequest) -> AsyncIterator[ChatChunk]:
        yield ChatChunk(text="first")
        await asyncio.Event().wait()
        yield ChatChunk(text="never")

    return FakeLLM(m=behaviour)


async def test_stop_cancels_the_running_node_and_ends_the_run_stopped() -> None:
    channel = InMemoryCommandChannel()
    events = await drive(first_then_hang(), {TextChunk: Command("stop", "user asked")}, channel)

    ask = of(events, NodeFinished)[-1]
    assert (ask.node_id, ask.status, ask.error) == ("ask", "stopped", "user asked")
    end = finished(events)
    assert (end.status, end.error, end.outputs) == ("stopped", "user asked", {})


class Channel(InMemoryCommandChannel):
    """Knows when the run has taken a command, so a test can act right after."""

    def __init__(self) -> None:
        super().__init__()
        self.taken = asyncio.Event()

    async def receive(self) -> Command:
        command = await super().receive()
        self.taken.set()
        return command

    async def command(self, command: Command) -> None:
        self.taken.clear()
        self.send(command)
        await self.taken.wait()
        await asyncio.sleep(0)


async def test_pause_lets_running_nodes_finish_then_waits_for_resume() -> None:
    channel = Channel()
    llm = FakeLLM(m=gated("one ", lambda: channel.command(Command("pause")), "two"))

    events = await drive(llm, {RunPaused: Command("resume")}, channel)

    kinds = [type(e).__name__ for e in events]
    paused = kinds.index("RunPaused")
    assert kinds[paused - 1] == "NodeFinished"
    assert kinds[paused + 1] == "RunResumed"
    assert "shout" not in [e.node_id for e in events[:paused] if isinstance(e, NodeStarted)]
    snapshot = of(events, RunPaused)[0].snapshot
    assert set(snapshot.nodes) == {"start", "ask"}
    assert snapshot.nodes["ask"].outputs["text"] == "one two"
    assert len(of(events, RunResumed)) == 1
    assert finished(events).outputs == {"out": "ONE TWO"}


async def test_a_paused_run_resumes_from_its_snapshot_in_a_new_run() -> None:
    channel = Channel()
    llm = FakeLLM(m=gated(lambda: channel.command(Command("pause")), "answer"))
    first = await drive(llm, {}, channel, until=RunPaused)
    # The caller stops listening once paused (e.g. the worker frees itself).
    assert isinstance(first[-1], RunPaused)

    second = await run(WORKFLOW, {"q": "hi"}, llm=llm, resume=first[-1].snapshot)

    assert llm.calls == ["m"]
    assert [e.node_id for e in of(second, NodeStarted)] == ["shout", "end"]
    assert second[0].resumed is True  # type: ignore[union-attr]
    assert finished(second).outputs == {"out": "ANSWER"}


async def test_stop_while_paused_ends_the_run_stopped() -> None:
    channel = Channel()
    llm = FakeLLM(m=gated(lambda: channel.command(Command("pause")), "answer"))
    events = await drive(llm, {RunPaused: Command("stop")}, channel)

    assert isinstance(events[-1], RunFinished)
    assert events[-1].status == "stopped"
    assert "shout" not in [e.node_id for e in of(events, NodeStarted)]

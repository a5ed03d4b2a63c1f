"""Continuing a run from the persisted results of its finished nodes."""

from __future__ import annotations

import asyncio
import contextlib

from flowstead.engine.collaborators import Collaborators
from flowstead.engine.events import AnyEvent, NodeFinished, NodeSnapshot, NodeStarted, Snapshot

from .helpers import (
    INFO,
    FakeClock,
    FakeLLM,
    compile_yaml,
    finished,
    gated,
    llm_node,
    of,
    replies,
    run,
    snapshot_of,
    started,
)

WORKFLOW = f"""
flowstead: 1
nodes:
  - {{id: start, type: start, config: {{inputs: [{{name: q}}]}}}}
{llm_node("first", "one")}
{llm_node("second", "two", prompt="{{ first.text }}")}
  - id: end
    type: end
    config: {{outputs: [{{name: a, value: first.text}}, {{name: b, value: second.text}}]}}
edges:
  - {{from: start, to: first}}
  - {{from: first, to: second}}
  - {{from: second, to: end}}
"""


async def test_a_crashed_run_continues_without_rerunning_finished_nodes() -> None:
    crash = asyncio.Event()
    llm = FakeLLM(one=replies("alpha"), two=gated(crash.wait, "beta"))
    events: list[AnyEvent] = []
    stream = compile_yaml(WORKFLOW).run(
        {"q": "go"}, INFO, Collaborators(llm=llm, clock=FakeClock())
    )
    async with contextlib.aclosing(stream):
        async for event in stream:
            events.append(event)  # type: ignore[arg-type]
            if isinstance(event, NodeStarted) and event.node_id == "second":
                break  # the process dies while `second` runs
    assert llm.calls == ["one", "two"]

    crash.set()
    resumed = await run(WORKFLOW, {"q": "go"}, llm=llm, resume=snapshot_of(events))

    assert started(resumed) == ["second", "end"]
    assert llm.calls == ["one", "two", "two"]
    assert finished(resumed).outputs == {"a": "alpha", "b": "beta"}


async def test_rerun_from_a_node_reuses_the_results_before_it() -> None:
    llm = FakeLLM(one=replies("alpha"), two=replies("beta"))
    before = Snapshot(
        nodes={
            "start": NodeSnapshot(outputs={"q": "go"}),
            "first": NodeSnapshot(outputs={"text": "edited"}),
        }
    )

    events = await run(WORKFLOW, {"q": "go"}, llm=llm, resume=before)

    assert llm.calls == ["two"]
    assert finished(events).outputs == {"a": "edited", "b": "beta"}


BRANCHED = """
flowstead: 1
nodes:
  - {id: start, type: start, config: {inputs: [{name: n, type: number}]}}
  - id: check
    type: if_else
    config: {cases: [{id: yes, conditions: [{variable: start.n, op: ">", value: 1}]}]}
  - {id: big, type: template, config: {template: big}}
  - {id: small, type: template, config: {template: small}}
  - {id: end, type: end, config: {outputs: [{name: big, value: big.output}]}}
edges:
  - {from: start, to: check}
  - {from: check, handle: yes, to: big}
  - {from: check, handle: else, to: small}
  - {from: big, to: end}
  - {from: small, to: end}
"""


async def test_a_replayed_branch_node_takes_the_branch_it_took_before() -> None:
    before = Snapshot(
        nodes={
            "start": NodeSnapshot(outputs={"n": 0}),
            "check": NodeSnapshot(outputs={"result": True, "case": "yes"}, handle="yes"),
        }
    )

    events = await run(BRANCHED, {"n": 0}, resume=before)

    assert started(events) == ["big", "end"]
    skipped = [e.node_id for e in events if type(e).__name__ == "NodeSkipped"]
    assert skipped == ["small"]
    assert finished(events).outputs == {"big": "big"}
    assert not [e for e in of(events, NodeFinished) if e.node_id in ("start", "check")]


async def test_resumed_conversation_variables_win_over_the_given_ones() -> None:
    text = """
flowstead: 1
mode: chat
conversation_variables: [{name: count, type: number}]
nodes:
  - {id: start, type: start}
  - {id: reply, type: answer, config: {text: "{{ conversation.count }}"}}
edges:
  - {from: start, to: reply}
"""
    before = Snapshot(nodes={"start": NodeSnapshot()}, conversation={"count": 7})
    events = await run(text, {}, conversation={"count": 1}, resume=before)

    assert finished(events).outputs == {"answer": "7"}
    assert finished(events).conversation == {"count": 7}

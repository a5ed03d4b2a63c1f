"""Run limits: steps and time (time is a fake clock; nothing here waits on wall time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from flowstead.engine.events import NodeFinished, NodeStarted
from flowstead.engine.limits import Limits
from flowstead.engine.ports import ChatChunk, ChatRequest

from .helpers import FakeClock, FakeLLM, finished, llm_node, of, run


def chain(length: int) -> str:
    nodes = ["  - {id: start, type: start, config: {inputs: [{name: q}]}}"]
    edges, previous = [], "start"
    for i in range(length):
        nodes.append(f"  - {{id: t{i}, type: template, config: {{template: step{i}}}}}")
        edges.append(f"  - {{from: {previous}, to: t{i}}}")
        previous = f"t{i}"
    nodes.append("  - {id: end, type: end}")
    edges.append(f"  - {{from: {previous}, to: end}}")
    return "flowstead: 1\nnodes:\n" + "\n".join(nodes) + "\nedges:\n" + "\n".join(edges) + "\n"


async def test_the_run_fails_when_it_exceeds_its_steps() -> None:
    events = await run(chain(5), {"q": "x"}, limits=Limits(max_steps=4))

    end = finished(events)
    assert end.status == "failed"
    assert end.error == "the run exceeded its limit of 4 steps"
    assert [e.node_id for e in of(events, NodeStarted)] == ["start", "t0", "t1", "t2"]


async def test_the_default_step_limit_allows_a_long_chain() -> None:
    events = await run(chain(60), {"q": "x"})

    assert finished(events).status == "succeeded"
    assert finished(events).total_steps == 62


def slow_models(clock: FakeClock, seconds: float) -> FakeLLM:
    async def takes_time(_request: ChatRequest) -> AsyncIterator[ChatChunk]:
        clock.time += seconds
        yield ChatChunk(text="done")

    return FakeLLM(m=takes_time)


CALLS = f"""
flowstead: 1
nodes:
  - {{id: start, type: start, config: {{inputs: [{{name: q}}]}}}}
{llm_node("a", "m")}
{llm_node("b", "m")}
{llm_node("c", "m")}
  - {{id: end, type: end, config: {{outputs: [{{name: out, value: c.text}}]}}}}
edges:
  - {{from: start, to: a}}
  - {{from: a, to: b}}
  - {{from: b, to: c}}
  - {{from: c, to: end}}
"""


async def test_the_run_fails_when_it_exceeds_its_time() -> None:
    clock = FakeClock()
    events = await run(CALLS, {"q": "x"}, llm=slow_models(clock, 700), clock=clock)

    end = finished(events)
    assert end.status == "failed"
    assert end.error == "the run exceeded its time limit of 1200 s"
    assert [e.node_id for e in of(events, NodeStarted)] == ["start", "a", "b"]
    assert end.elapsed == 1400


async def test_a_node_still_running_at_the_time_limit_is_stopped() -> None:
    async def hangs(_request: ChatRequest) -> AsyncIterator[ChatChunk]:
        await asyncio.Event().wait()
        yield ChatChunk()

    events = await run(CALLS, {"q": "x"}, llm=FakeLLM(m=hangs), limits=Limits(max_time=0.01))

    a = next(e for e in of(events, NodeFinished) if e.node_id == "a")
    assert a.status == "stopped"
    assert finished(events).status == "failed"
    assert finished(events).error == "the run exceeded its time limit of 0.01 s"

"""Per-node error handling: strategies, retries, timeouts and exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from flowstead.engine.events import NodeFinished, NodeRetry, RunFinished
from flowstead.engine.ports import ChatChunk, ChatRequest

from .helpers import FakeLLM, fails, finished, llm_node, of, replies, run, statuses


def workflow(on_error: str = "", retry: str = "", timeout: str = "", branch: bool = False) -> str:
    """start → ask (an LLM) → good → end; with `branch`, also ask -fail-branch→ bad → end."""
    extra = {k: v for k, v in (("on_error", on_error), ("retry", retry), ("timeout", timeout)) if v}
    bad_node = '  - {id: bad, type: template, config: {template: "error: {{ ask.error_message }}"}}'
    bad_edges = "  - {from: ask, handle: fail-branch, to: bad}\n  - {from: bad, to: end}"
    second = "bad.output" if branch else ("ask.error_type" if on_error else "good.output")
    return f"""
flowstead: 1
nodes:
  - {{id: start, type: start, config: {{inputs: [{{name: q}}]}}}}
{llm_node("ask", "m", **extra)}
  - {{id: good, type: template, config: {{template: "answer: {{{{ ask.text }}}}"}}}}
{bad_node if branch else ""}
  - id: end
    type: end
    config: {{outputs: [{{name: good, value: good.output}}, {{name: bad, value: {second}}}]}}
edges:
  - {{from: start, to: ask}}
  - {{from: ask, to: good}}
  - {{from: good, to: end}}
{bad_edges if branch else ""}
"""


async def test_a_failure_without_a_strategy_fails_the_run() -> None:
    events = await run(workflow(), {"q": "hi"}, llm=FakeLLM(m=fails("overloaded")))

    ask = next(e for e in of(events, NodeFinished) if e.node_id == "ask")
    assert ask.status == "failed"
    assert "overloaded" in (ask.error or "")
    end = finished(events)
    assert end.status == "failed"
    assert end.error is not None
    assert "ask" in end.error
    assert "overloaded" in end.error
    assert "good" not in statuses(events)


async def test_fail_branch_follows_the_fail_handle_with_the_error() -> None:
    events = await run(
        workflow(on_error="{strategy: fail_branch}", branch=True),
        {"q": "hi"},
        llm=FakeLLM(m=fails("overloaded")),
    )

    assert statuses(events)["ask"] == "exception"
    assert statuses(events)["good"] == "skipped"
    ask = next(e for e in of(events, NodeFinished) if e.node_id == "ask")
    assert ask.handle == "fail-branch"
    assert ask.outputs["error_type"] == "NodeError"
    end = finished(events)
    assert end.status == "partial_succeeded"
    assert end.outputs["bad"].startswith("error: fake (m): overloaded")
    assert end.outputs["good"] is None


async def test_fail_branch_takes_the_normal_edges_on_success() -> None:
    events = await run(
        workflow(on_error="{strategy: fail_branch}", branch=True),
        {"q": "hi"},
        llm=FakeLLM(m=replies("fine")),
    )

    assert statuses(events)["bad"] == "skipped"
    assert finished(events).status == "succeeded"
    assert finished(events).outputs == {"good": "answer: fine", "bad": None}


async def test_default_value_continues_with_the_given_outputs() -> None:
    text = workflow(on_error="{strategy: default_value, default: {text: sorry}}")
    events = await run(text, {"q": "hi"}, llm=FakeLLM(m=fails("down")))

    ask = next(e for e in of(events, NodeFinished) if e.node_id == "ask")
    assert ask.status == "exception"
    assert ask.outputs["text"] == "sorry"
    assert ask.outputs["error_message"] == "fake (m): down"
    assert finished(events).status == "partial_succeeded"
    assert finished(events).outputs == {"good": "answer: sorry", "bad": "NodeError"}


async def test_retries_emit_node_retry_and_then_succeed() -> None:
    text = workflow(retry="{max_attempts: 3, interval: 2}")
    events = await run(text, {"q": "hi"}, llm=FakeLLM(m=fails("busy", times=2, then="done")))

    retries = of(events, NodeRetry)
    assert [(r.attempt, r.interval) for r in retries] == [(1, 2.0), (2, 2.0)]
    assert all("busy" in r.error for r in retries)
    ask = next(e for e in of(events, NodeFinished) if e.node_id == "ask")
    assert (ask.status, ask.attempt) == ("succeeded", 3)
    assert finished(events).outputs["good"] == "answer: done"
    assert finished(events).total_steps == 4  # a retried node is one step


async def test_retries_give_up_after_max_attempts() -> None:
    text = workflow(retry="{max_attempts: 1, interval: 0}")
    llm = FakeLLM(m=fails("busy"))
    events = await run(text, {"q": "hi"}, llm=llm)

    assert llm.calls == ["m", "m"]
    assert len(of(events, NodeRetry)) == 1
    assert finished(events).status == "failed"


def hangs() -> FakeLLM:
    async def behaviour(_request: ChatRequest) -> AsyncIterator[ChatChunk]:
        await asyncio.Event().wait()
        yield ChatChunk(text="never")

    return FakeLLM(m=behaviour)


async def test_a_node_over_its_timeout_fails() -> None:
    text = workflow(timeout="0.01")
    events = await run(text, {"q": "hi"}, llm=hangs())

    ask = next(e for e in of(events, NodeFinished) if e.node_id == "ask")
    assert ask.status == "failed"
    assert ask.error == "timed out after 0.01 s"
    assert finished(events).status == "failed"


async def test_a_timeout_is_a_failure_the_strategy_handles() -> None:
    events = await run(
        workflow(on_error="{strategy: fail_branch}", timeout="0.01", branch=True),
        {"q": "x"},
        llm=hangs(),
    )

    ask = next(e for e in of(events, NodeFinished) if e.node_id == "ask")
    assert ask.outputs["error_type"] == "TimeoutError"
    assert finished(events).status == "partial_succeeded"


async def test_an_exception_escaping_a_node_is_a_failed_node_with_its_text() -> None:
    async def broken(_request: ChatRequest) -> AsyncIterator[ChatChunk]:
        raise RuntimeError("bug in the adapter")
        yield ChatChunk()

    text = workflow()
    events = await run(text, {"q": "hi"}, llm=FakeLLM(m=broken))

    ask = next(e for e in of(events, NodeFinished) if e.node_id == "ask")
    assert ask.status == "failed"
    assert ask.error == "RuntimeError: bug in the adapter"
    assert isinstance(events[-1], RunFinished)
    assert events[-1].status == "failed"

"""Dify's scheduling rules, through whole workflows."""

from __future__ import annotations

import msgspec

from flowstead.engine.events import NodeFinished, NodeSkipped, NodeStarted, RunFinished, decode

from .helpers import Barrier, FakeLLM, gated, llm_node, of, replies, run, started, statuses

BRANCHES = """
flowstead: 1
nodes:
  - {id: start, type: start, config: {inputs: [{name: n, type: number}]}}
  - id: check
    type: if_else
    config:
      cases:
        - {id: big, conditions: [{variable: start.n, op: ">", value: 10}]}
        - {id: small, conditions: [{variable: start.n, op: ">", value: 0}]}
  - {id: big_text, type: template, config: {template: "big {{ start.n }}"}}
  - {id: big_more, type: template, config: {template: "{{ big_text.output }}!"}}
  - {id: small_text, type: template, config: {template: "small {{ start.n }}"}}
  - {id: none_text, type: template, config: {template: "none"}}
  - id: join
    type: variable_aggregator
    config: {variables: [big_more.output, small_text.output, none_text.output]}
  - {id: end, type: end, config: {outputs: [{name: out, value: join.output}]}}
edges:
  - {from: start, to: check}
  - {from: check, handle: big, to: big_text}
  - {from: big_text, to: big_more}
  - {from: check, handle: small, to: small_text}
  - {from: check, handle: else, to: none_text}
  - {from: big_more, to: join}
  - {from: small_text, to: join}
  - {from: none_text, to: join}
  - {from: join, to: end}
"""


async def test_the_chosen_branch_runs_and_skips_propagate() -> None:
    events = await run(BRANCHES, {"n": "42"})

    assert statuses(events) == {
        "start": "succeeded",
        "check": "succeeded",
        "big_text": "succeeded",
        "big_more": "succeeded",
        "small_text": "skipped",
        "none_text": "skipped",
        "join": "succeeded",
        "end": "succeeded",
    }
    assert events[-1] == RunFinished(
        status="succeeded",
        outputs={"out": "big 42!"},
        total_steps=6,
        elapsed=0.0,
        conversation={},
    )


async def test_a_skipped_branch_skips_everything_only_it_reaches() -> None:
    events = await run(BRANCHES, {"n": "-1"})

    skipped = [e.node_id for e in of(events, NodeSkipped)]
    assert sorted(skipped) == ["big_more", "big_text", "small_text"]
    assert of(events, RunFinished)[0].outputs == {"out": "none"}
    # The join waits until every incoming edge is decided, and runs once.
    assert started(events).count("join") == 1
    assert started(events).index("join") > started(events).index("none_text")


async def test_the_if_else_node_reports_the_handle_it_took() -> None:
    events = await run(BRANCHES, {"n": 5})

    check = next(e for e in of(events, NodeFinished) if e.node_id == "check")
    assert check.handle == "small"
    assert check.outputs == {"result": True, "case": "small"}


FAN_OUT = f"""
flowstead: 1
nodes:
  - {{id: start, type: start, config: {{inputs: [{{name: q}}]}}}}
{llm_node("left", "left")}
{llm_node("right", "right")}
  - {{id: both, type: template, config: {{template: "{{{{ left.text }}}}+{{{{ right.text }}}}"}}}}
  - {{id: end, type: end, config: {{outputs: [{{name: out, value: both.output}}]}}}}
edges:
  - {{from: start, to: left}}
  - {{from: start, to: right}}
  - {{from: left, to: both}}
  - {{from: right, to: both}}
  - {{from: both, to: end}}
"""


async def test_parallel_branches_run_at_the_same_time_and_join() -> None:
    # Each model waits until the other one is streaming too: run one after the other,
    # they would never finish.
    barrier = Barrier(2)
    llm = FakeLLM(left=gated(barrier.wait, "L"), right=gated(barrier.wait, "R"))

    events = await run(FAN_OUT, {"q": "hi"}, llm=llm)

    assert of(events, RunFinished)[0].outputs == {"out": "L+R"}
    order = [(type(e).__name__, getattr(e, "node_id", "")) for e in events]
    assert order.index(("NodeStarted", "right")) < order.index(("NodeFinished", "left"))
    assert started(events).count("both") == 1


async def test_max_parallel_caps_branches_running_at_once() -> None:
    from flowstead.engine.limits import Limits

    llm = FakeLLM(left=replies("L"), right=replies("R"))
    events = await run(FAN_OUT, {"q": "hi"}, llm=llm, limits=Limits(max_parallel=1))

    kinds = [(type(e), e.node_id) for e in events if isinstance(e, NodeStarted | NodeFinished)]
    first, second = kinds[2], kinds[3]
    assert first[0] is NodeStarted
    assert second == (NodeFinished, first[1])
    assert of(events, RunFinished)[0].outputs == {"out": "L+R"}


async def test_every_event_encodes_as_json_and_back() -> None:
    events = await run(BRANCHES, {"n": 3})

    for event in events:
        data = msgspec.json.encode(event)
        assert msgspec.json.decode(data)["event"]
        assert decode(data) == event

"""Iteration and loop containers, run through whole workflows."""

from __future__ import annotations

import pytest

from flowstead.engine.events import (
    IterationCompleted,
    IterationNext,
    IterationStarted,
    LoopCompleted,
    LoopNext,
    LoopStarted,
    NodeFinished,
    NodeStarted,
)

from .helpers import Barrier, FakeLLM, finished, gated, of, run, statuses

WORDS = {"words": ["a", "bb", "toolong", "c"]}


def iteration(error_mode: str, parallel: bool = True) -> str:
    return f"""
flowstead: 1
nodes:
  - {{id: start, type: start, config: {{inputs: [{{name: data, type: json}}]}}}}
  - id: each
    type: iteration
    config: {{items: start.data.words, output: shout.output, parallel: {str(parallel).lower()},
              max_parallel: 2, error_mode: {error_mode}}}
  - id: shout
    type: template
    parent: each
    config: {{template: "{{{{ each.item | upper }}}}", max_length: 5}}
  - {{id: end, type: end, config: {{outputs: [{{name: out, value: each.output}}]}}}}
edges:
  - {{from: start, to: each}}
  - {{from: each, to: end}}
"""


@pytest.mark.parametrize("parallel", [True, False])
async def test_continue_on_error_leaves_none_in_place_of_a_failed_item(parallel: bool) -> None:
    events = await run(iteration("continue_on_error", parallel), {"data": WORDS})

    assert finished(events).status == "succeeded"
    assert finished(events).outputs == {"out": ["A", "BB", None, "C"]}
    failed = [e for e in of(events, NodeFinished) if e.status == "failed"]
    assert [(e.node_id, e.iteration_id, e.iteration_index) for e in failed] == [
        ("shout", "each", 2)
    ]


async def test_remove_abnormal_output_leaves_failed_items_out() -> None:
    events = await run(iteration("remove_abnormal_output"), {"data": WORDS})

    assert finished(events).outputs == {"out": ["A", "BB", "C"]}
    each = next(e for e in of(events, NodeFinished) if e.node_id == "each")
    assert "7 characters" in each.process_data["errors"]["2"]


@pytest.mark.parametrize("parallel", [True, False])
async def test_terminated_fails_the_iteration_and_the_run(parallel: bool) -> None:
    events = await run(iteration("terminated", parallel), {"data": WORDS})

    assert statuses(events)["each"] == "failed"
    assert [e.index for e in of(events, IterationNext)][:3] == [0, 1, 2]
    completed = of(events, IterationCompleted)[0]
    assert completed.status == "failed"
    assert completed.error is not None
    assert completed.error.startswith("item 2 failed: node shout")
    assert finished(events).status == "failed"


async def test_iteration_events_frame_the_children_events() -> None:
    events = await run(iteration("continue_on_error", parallel=False), {"data": {"words": ["x"]}})

    kinds = [type(e).__name__ for e in events]
    assert kinds[kinds.index("IterationStarted") : kinds.index("IterationCompleted") + 1] == [
        "IterationStarted",
        "IterationNext",
        "NodeStarted",
        "NodeFinished",
        "IterationCompleted",
    ]
    assert of(events, IterationStarted)[0].length == 1
    child = next(e for e in of(events, NodeStarted) if e.node_id == "shout")
    assert (child.iteration_id, child.iteration_index) == ("each", 0)


async def test_items_run_in_parallel_up_to_max_parallel() -> None:
    barrier = Barrier(2)
    text = """
flowstead: 1
nodes:
  - {id: start, type: start, config: {inputs: [{name: data, type: json}]}}
  - id: each
    type: iteration
    config: {items: start.data.words, output: ask.text, parallel: true, max_parallel: 2}
  - id: ask
    type: llm
    parent: each
    config: {model: {provider: fake, name: m}, messages: [{role: user, text: "{{ each.item }}"}]}
  - {id: end, type: end, config: {outputs: [{name: out, value: each.output}]}}
edges:
  - {from: start, to: each}
  - {from: each, to: end}
"""
    llm = FakeLLM(m=gated(barrier.wait, "done"))
    events = await run(text, {"data": {"words": ["a", "b", "c", "d"]}}, llm=llm)

    assert finished(events).outputs == {"out": ["done"] * 4}
    assert barrier.arrived == 4


async def test_flatten_joins_the_lists_each_item_gave() -> None:
    text = """
flowstead: 1
nodes:
  - {id: start, type: start, config: {inputs: [{name: data, type: json}]}}
  - id: each
    type: iteration
    config: {items: start.data.groups, output: top.result, flatten: true}
  - {id: top, type: list_operator, parent: each, config: {variable: each.item, limit: 2}}
  - {id: end, type: end, config: {outputs: [{name: out, value: each.output}]}}
edges:
  - {from: start, to: each}
  - {from: each, to: end}
"""
    events = await run(text, {"data": {"groups": [[1, 2, 3], [4], []]}})

    assert finished(events).outputs == {"out": [1, 2, 4]}


async def test_an_iteration_over_something_not_a_list_fails() -> None:
    events = await run(iteration("continue_on_error"), {"data": {"words": "abc"}})

    each = next(e for e in of(events, NodeFinished) if e.node_id == "each")
    assert each.error == "`start.data.words` is a str, not a list"


def loop(start_count: int, max_count: int = 10, breaks: bool = True) -> str:
    conditions = '[{variable: repeat.count, op: ">=", value: 3}]' if breaks else "[]"
    return f"""
flowstead: 1
nodes:
  - {{id: start, type: start}}
  - id: repeat
    type: loop
    config:
      variables:
        - {{name: count, type: number, value: {start_count}}}
        - {{name: log, type: "array[string]", value: "[]"}}
      break_conditions: {conditions}
      max_count: {max_count}
  - id: bump
    type: variable_assigner
    parent: repeat
    config: {{items: [{{variable: repeat.count, operation: "+=", input_type: constant, value: 1}}]}}
  - id: note
    type: template
    parent: repeat
    config: {{template: "round {{{{ repeat.index }}}}: {{{{ repeat.count }}}}"}}
  - id: keep
    type: variable_assigner
    parent: repeat
    config: {{items: [{{variable: repeat.log, operation: append, value: note.output}}]}}
  - id: end
    type: end
    config:
      outputs:
        - {{name: count, value: repeat.count}}
        - {{name: log, value: repeat.log}}
        - {{name: rounds, value: repeat.loop_round}}
edges:
  - {{from: start, to: repeat}}
  - {{from: repeat, to: end}}
  - {{from: bump, to: note}}
  - {{from: note, to: keep}}
"""


async def test_a_loop_runs_until_its_break_condition_holds() -> None:
    events = await run(loop(start_count=0))

    assert finished(events).outputs == {
        "count": 3,
        "log": ["round 0: 1", "round 1: 2", "round 2: 3"],
        "rounds": 3,
    }
    assert [(e.index, e.variables["count"]) for e in of(events, LoopNext)] == [
        (0, 0),
        (1, 1),
        (2, 2),
    ]
    assert of(events, LoopStarted)[0].variables == {"count": 0, "log": []}
    assert of(events, LoopCompleted)[0].status == "succeeded"
    bumps = [e for e in of(events, NodeFinished) if e.node_id == "bump"]
    assert [(e.loop_id, e.loop_index, e.assigned) for e in bumps] == [
        ("repeat", i, {"repeat.count": i + 1}) for i in range(3)
    ]


async def test_break_conditions_are_checked_before_the_first_round() -> None:
    events = await run(loop(start_count=5))

    assert finished(events).outputs == {"count": 5, "log": [], "rounds": 0}
    assert of(events, LoopNext) == []


async def test_a_loop_stops_at_max_count() -> None:
    events = await run(loop(start_count=0, max_count=4, breaks=False))

    assert finished(events).outputs["rounds"] == 4
    assert finished(events).outputs["count"] == 4


async def test_a_failed_round_fails_the_loop() -> None:
    text = loop(start_count=0).replace(
        'operation: "+=", input_type: constant, value: 1',
        'operation: "/=", input_type: constant, value: 0',
    )
    events = await run(text)

    repeat = next(e for e in of(events, NodeFinished) if e.node_id == "repeat")
    assert repeat.status == "failed"
    assert repeat.error == "round 0 failed: node bump failed: cannot divide by zero"
    assert of(events, LoopCompleted)[0].status == "failed"

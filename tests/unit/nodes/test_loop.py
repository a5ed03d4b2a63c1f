"""The loop node on its own: variables, break conditions (as Dify checks them), max_count."""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine.events import LoopCompleted, LoopNext, LoopStarted
from flowstead.engine.nodes.loop import SPEC, LoopConfig

from .container import ContainerTestContext
from .context import make_node


async def count_up(index: int, values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    values["total"] += values["step"]
    values["seen"] = [*values["seen"], index]
    return None, {"child": {"done": values["total"] >= 6}}


def config(**extra: Any) -> LoopConfig:
    data = {
        "variables": [
            {"name": "total", "type": "number", "value": "0"},
            {"name": "step", "type": "number", "value_type": "variable", "value": "start.step"},
            {"name": "seen", "type": "array[number]"},
        ],
        "break_conditions": [{"variable": "loop.total", "op": ">=", "value": "{{ start.goal }}"}],
        "max_count": 10,
        **extra,
    }
    return msgspec.convert(data, LoopConfig)


def context(body: Any = count_up, step: int = 2) -> ContainerTestContext:
    return ContainerTestContext(
        make_node("loop", {}, "loop"), values={"start": {"step": step, "goal": 6}}, body=body
    )


async def test_the_loop_runs_until_the_break_condition_holds() -> None:
    ctx = context()
    result = await SPEC.run(config(), ctx)

    assert result.outputs == {"total": 6, "step": 2, "seen": [0, 1, 2], "index": 2, "loop_round": 3}
    assert result.inputs == {"total": 0, "step": 2, "seen": []}
    assert ctx.events[0] == LoopStarted(
        node_id="loop", max_count=10, variables={"total": 0, "step": 2, "seen": []}
    )
    nexts = [e for e in ctx.events if isinstance(e, LoopNext)]
    assert [(e.index, e.variables["total"]) for e in nexts] == [(0, 0), (1, 2), (2, 4)]
    assert ctx.events[-1] == LoopCompleted(
        node_id="loop", status="succeeded", outputs=result.outputs
    )


async def test_a_break_condition_already_true_runs_no_round() -> None:
    ctx = context()
    ctx.values["start"]["goal"] = 0

    result = await SPEC.run(config(), ctx)

    assert result.outputs["loop_round"] == 0
    assert not [e for e in ctx.events if isinstance(e, LoopNext)]


async def test_an_error_in_the_first_check_means_not_yet() -> None:
    broken = config(break_conditions=[{"variable": "child.done", "op": "is", "value": "true"}])
    result = await SPEC.run(broken, context())
    # Before the first round `child.done` does not exist; after it, it reads as a boolean.
    assert result.outputs["loop_round"] == 3


async def test_max_count_ends_the_loop() -> None:
    result = await SPEC.run(config(break_conditions=[], max_count=4), context())
    assert (result.outputs["loop_round"], result.outputs["total"]) == (4, 8)


async def test_a_failed_round_fails_the_loop() -> None:
    async def body(index: int, values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return ("boom" if index == 1 else None), {}

    ctx = context(body)
    result = await SPEC.run(config(), ctx)

    assert (result.status, result.error) == ("failed", "round 1 failed: boom")
    assert ctx.events[-1] == LoopCompleted(node_id="loop", status="failed", error=result.error)


async def test_a_break_condition_that_cannot_be_checked_fails_the_loop() -> None:
    bad = config(break_conditions=[{"variable": "loop.seen", "op": ">", "value": 1}])
    result = await SPEC.run(bad, context())
    assert result.status == "failed"
    assert result.error == "round 0 failed: break conditions: value [0] is not a number"


async def test_bad_initial_values_fail() -> None:
    missing = config(variables=[{"name": "x", "value_type": "variable", "value": "no.where"}])
    result = await SPEC.run(missing, context())
    assert (result.status, result.error) == ("failed", "no value at `no.where`")

    not_json = config(variables=[{"name": "x", "type": "array[string]", "value": "[oops"}])
    result = await SPEC.run(not_json, context())
    assert result.error == "loop variable `x`: '[oops' is not a value of type array[string]"

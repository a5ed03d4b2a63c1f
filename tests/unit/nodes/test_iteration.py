"""The iteration node on its own: items, error modes, parallelism, flattening."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowstead.engine.events import IterationCompleted, IterationNext, IterationStarted
from flowstead.engine.nodes.iteration import SPEC, IterationConfig

from .container import ContainerTestContext
from .context import TestContext, make_node


async def shout(index: int, values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    item = values["item"]
    if item == "bad":
        return f"item {item!r} is bad", {}
    await asyncio.sleep(0)
    return None, {"child": {"output": item.upper(), "parts": list(item)}}


def context(items: Any, body: Any = shout) -> ContainerTestContext:
    return ContainerTestContext(
        make_node("iteration", {}, "each"), values={"start": {"items": items}}, body=body
    )


async def iterate(items: Any, **config: Any) -> tuple[Any, ContainerTestContext]:
    ctx = context(items)
    options = {"items": "start.items", "output": "child.output", **config}
    return await SPEC.run(IterationConfig(**options), ctx), ctx


@pytest.mark.parametrize("parallel", [False, True])
async def test_each_item_runs_the_body_and_outputs_are_in_order(parallel: bool) -> None:
    result, ctx = await iterate(["a", "b", "c"], parallel=parallel, max_parallel=2)

    assert result.outputs == {"output": ["A", "B", "C"]}
    assert ctx.events[0] == IterationStarted(node_id="each", length=3)
    assert sorted(e.index for e in ctx.events if isinstance(e, IterationNext)) == [0, 1, 2]
    assert ctx.events[-1] == IterationCompleted(
        node_id="each", status="succeeded", outputs={"output": ["A", "B", "C"]}
    )


async def test_the_body_sees_the_item_and_its_index() -> None:
    seen: list[tuple[int, Any, int]] = []

    async def body(index: int, values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        seen.append((index, values["item"], values["index"]))
        return None, {}

    ctx = context(["x", "y"], body)
    await SPEC.run(IterationConfig(items="start.items"), ctx)

    assert seen == [(0, "x", 0), (1, "y", 1)]


async def test_error_modes() -> None:
    result, _ = await iterate(["a", "bad", "c"], error_mode="continue_on_error")
    assert result.outputs == {"output": ["A", None, "C"]}
    assert result.process_data == {"errors": {"1": "item 'bad' is bad"}}

    result, _ = await iterate(["a", "bad", "c"], error_mode="remove_abnormal_output")
    assert result.outputs == {"output": ["A", "C"]}

    result, ctx = await iterate(["a", "bad", "c"], error_mode="terminated")
    assert (result.status, result.error) == ("failed", "item 1 failed: item 'bad' is bad")
    assert [e.index for e in ctx.events if isinstance(e, IterationNext)] == [0, 1]
    assert isinstance(ctx.events[-1], IterationCompleted)
    assert ctx.events[-1].status == "failed"


async def test_terminated_in_parallel_cancels_the_items_still_running() -> None:
    cancelled: list[int] = []

    async def body(index: int, values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        if values["item"] == "bad":
            return "bad", {}
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(index)
            raise
        return None, {}

    ctx = context(["slow", "bad", "later"], body)
    config = IterationConfig(items="start.items", parallel=True, max_parallel=3)
    result = await asyncio.wait_for(SPEC.run(config, ctx), 5)

    assert result.status == "failed"
    assert sorted(cancelled) == [0, 2]


async def test_flatten_joins_list_outputs() -> None:
    result, _ = await iterate(["ab", "c"], output="child.parts", flatten=True)
    assert result.outputs == {"output": ["a", "b", "c"]}
    result, _ = await iterate(["ab", "c"], flatten=True)  # not lists: left as they are
    assert result.outputs == {"output": ["AB", "C"]}


@pytest.mark.parametrize("items", [[], None])
async def test_an_empty_list_gives_an_empty_output(items: Any) -> None:
    # None, as Dify has it: what a parameter extractor gives for a list it did not find.
    result, ctx = await iterate(items)
    assert (result.status, result.outputs) == ("succeeded", {"output": []})
    assert ctx.events[0] == IterationStarted(node_id="each", length=0)


@pytest.mark.parametrize(("items", "error"), [("abc", "`start.items` is a str, not a list")])
async def test_items_must_be_a_list(items: Any, error: str) -> None:
    result, _ = await iterate(items)
    assert (result.status, result.error) == ("failed", error)


async def test_missing_items_fail() -> None:
    result = await SPEC.run(IterationConfig(items="nowhere.list"), context([]))
    assert (result.status, result.error) == ("failed", "no value at `nowhere.list`")


async def test_a_context_that_cannot_run_a_body_is_a_bug() -> None:
    with pytest.raises(TypeError, match="cannot run a body"):
        await SPEC.run(IterationConfig(items="x"), TestContext(make_node("iteration", {})))

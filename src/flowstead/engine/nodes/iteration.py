"""Iteration: runs its child nodes once per item of a list, optionally in parallel.

Children see `<iteration_id>.item` and `<iteration_id>.index`; None is an empty list. A
failed item ends the iteration (`terminated`), leaves None in its place
(`continue_on_error`), or is left out (`remove_abnormal_output`)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec

from flowstead.engine import selectors
from flowstead.engine.container import ContainerContext, container_context
from flowstead.engine.events import IterationCompleted, IterationNext, IterationStarted
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec


class IterationConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # A selector of the list to iterate over.
    items: str = ""
    # A selector of a child node's output, collected per item into `output`.
    output: str = ""
    parallel: bool = False
    max_parallel: int = 10
    error_mode: Literal["terminated", "continue_on_error", "remove_abnormal_output"] = "terminated"
    # When every item's output is a list, join them into one list.
    flatten: bool = False


class _Terminated(Exception):
    pass


async def run(config: IterationConfig, ctx: NodeContext) -> NodeResult:
    body = container_context(ctx)
    try:
        items = ctx.resolve(config.items)
    except selectors.Missing as exc:
        return NodeResult.fail(str(exc))
    if items is None:  # as in Dify: e.g. a list a parameter extractor did not find
        items = []
    if not isinstance(items, list):
        return NodeResult.fail(f"`{config.items}` is a {type(items).__name__}, not a list")
    node_id = ctx.node.id
    body.emit(IterationStarted(node_id=node_id, length=len(items)))
    outputs, errors = await _run_items(config, body, items)
    if errors and config.error_mode == "terminated":
        index = min(errors)
        error = f"item {index} failed: {errors[index]}"
        body.emit(IterationCompleted(node_id=node_id, status="failed", error=error))
        return NodeResult.fail(error, inputs={"items": items})
    if config.error_mode == "remove_abnormal_output":
        outputs = [output for index, output in enumerate(outputs) if index not in errors]
    if config.flatten:
        outputs = _flatten(outputs)
    body.emit(IterationCompleted(node_id=node_id, status="succeeded", outputs={"output": outputs}))
    process_data = {"errors": {str(i): e for i, e in sorted(errors.items())}} if errors else {}
    return NodeResult.ok({"output": outputs}, inputs={"items": items}, process_data=process_data)


async def _run_items(
    config: IterationConfig, body: ContainerContext, items: list[Any]
) -> tuple[list[Any], dict[int, str]]:
    outputs: list[Any] = [None] * len(items)
    errors: dict[int, str] = {}
    indexes = iter(range(len(items)))

    async def worker() -> None:
        for index in indexes:
            body.emit(IterationNext(node_id=body.node.id, index=index))
            result = await body.run_body(index, {"item": items[index], "index": index})
            if result.failure is not None:
                errors[index] = result.failure
                if config.error_mode == "terminated":
                    raise _Terminated
            elif config.output:
                try:
                    outputs[index] = selectors.lookup(result.namespace, config.output)
                except selectors.Missing:
                    outputs[index] = None

    width = min(max(config.max_parallel, 1), len(items)) if config.parallel else 1
    try:
        if width <= 1:
            await worker()
        else:
            async with asyncio.TaskGroup() as group:
                for _ in range(width):
                    group.create_task(worker())
    except* _Terminated:
        pass
    return outputs, errors


def _flatten(outputs: list[Any]) -> list[Any]:
    present = [output for output in outputs if output is not None]
    if not present or not all(isinstance(output, list) for output in present):
        return outputs
    return [item for output in present for item in output]


SPEC: NodeSpec[IterationConfig] = NodeSpec(
    type="iteration",
    label="Iteration",
    config=IterationConfig,
    run=run,
    outputs=lambda c: {"output": "array", "item": "any", "index": "number"},
    category="logic",
    container=True,
)

"""Variable assigner: writes conversation variables (or loop variables), Dify v2 operations.

A variable's type is that of its current value (declared variables start at their type's
empty value); an operation that does not fit it fails the node and writes nothing."""

from __future__ import annotations

import json
from typing import Any, Literal

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.pool import zero_value

Operation = Literal[
    "over-write",
    "clear",
    "set",
    "append",
    "extend",
    "+=",
    "-=",
    "*=",
    "/=",
    "remove-first",
    "remove-last",
]
_NO_VALUE = frozenset({"clear", "remove-first", "remove-last"})
_ARITHMETIC = frozenset({"+=", "-=", "*=", "/="})
_LIST = frozenset({"append", "extend", "remove-first", "remove-last"})


class Assignment(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # `conversation.<name>` or `<loop_id>.<name>`.
    variable: str
    operation: Operation = "over-write"
    # `variable`: `value` is a selector; `constant`: `value` is used as is.
    input_type: Literal["variable", "constant"] = "variable"
    value: Any = None


class VariableAssignerConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    items: list[Assignment] = []


class AssignError(ValueError):
    pass


_SKIP = object()


async def run(config: VariableAssignerConfig, ctx: NodeContext) -> NodeResult:
    # Later items see earlier ones' results, but nothing is written unless all succeed.
    original: dict[str, Any] = {}
    updated: dict[str, Any] = {}
    try:
        for item in config.items:
            if item.variable not in original:
                original[item.variable] = _read(ctx, item.variable)
            current = updated.get(item.variable, original[item.variable])
            value = _input(ctx, item, updated)
            if value is not _SKIP:
                updated[item.variable] = _apply(item.operation, current, value)
    except (AssignError, selectors.Missing) as exc:
        return NodeResult.fail(str(exc))
    written: list[str] = []
    for selector, value in updated.items():
        try:
            ctx.assign(selector, value)
        except selectors.Missing as exc:
            for done in written:
                ctx.assign(done, original[done])
            return NodeResult.fail(str(exc))
        written.append(selector)
    return NodeResult.ok({}, process_data={"updated": updated})


def _read(ctx: NodeContext, selector: str) -> Any:
    _, _, name = selector.partition(".")
    if not name or "." in name:
        raise AssignError(f"`{selector}` is not a variable (write `conversation.<name>`)")
    return ctx.resolve(selector)


def _input(ctx: NodeContext, item: Assignment, updated: dict[str, Any]) -> Any:
    if item.operation in _NO_VALUE:
        return None
    if item.input_type == "constant":
        return item.value
    if not isinstance(item.value, str) or not item.value:
        raise AssignError(f"{item.variable}: a variable input needs a selector")
    if item.value in updated:
        return updated[item.value]
    value = ctx.resolve(item.value)
    # Dify leaves the variable as it was when the input is empty (a skipped branch).
    return _SKIP if value is None else value


def _kind(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _apply(operation: str, current: Any, value: Any) -> Any:
    kind = _kind(current)
    if operation in _LIST and kind != "array":
        raise AssignError(f"`{operation}` needs a list variable, not a {kind}")
    if operation in _ARITHMETIC and kind != "number":
        raise AssignError(f"`{operation}` needs a number variable, not a {kind}")
    match operation:
        case "over-write" | "set":
            if kind == "object" and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise AssignError(f"`{value}` is not a JSON object") from None
            if kind != "none" and _kind(value) != kind:
                raise AssignError(f"cannot write a {_kind(value)} into a {kind} variable")
            return value
        case "clear":
            return zero_value(kind)
        case "append":
            return [*current, value]
        case "extend":
            if not isinstance(value, list):
                raise AssignError(f"`extend` needs a list to add, not a {_kind(value)}")
            return [*current, *value]
        case "remove-first":
            return current[1:]
        case "remove-last":
            return current[:-1]
    if _kind(value) != "number":
        raise AssignError(f"`{operation}` needs a number, not a {_kind(value)}")
    match operation:
        case "+=":
            return current + value
        case "-=":
            return current - value
        case "*=":
            return current * value
    if value == 0:
        raise AssignError("cannot divide by zero")
    return current / value


SPEC: NodeSpec[VariableAssignerConfig] = NodeSpec(
    type="variable_assigner",
    label="Variable assigner",
    config=VariableAssignerConfig,
    run=run,
    outputs=lambda c: {},
    category="transform",
)

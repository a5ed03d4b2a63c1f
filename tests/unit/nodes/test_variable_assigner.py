"""Dify v2 assignments on conversation variables (loop variables: see the engine tests)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from flowstead.engine.nodes.variable_assigner import SPEC, VariableAssignerConfig

from .context import TestContext, make_node


def conversation() -> dict[str, Any]:
    return {
        "name": "ada",
        "count": 4,
        "flag": False,
        "tags": ["a", "b", "c"],
        "profile": {"x": 1},
        "unset": None,
    }


async def assign(*items: dict[str, Any], upstream: Any = None) -> tuple[Any, TestContext]:
    config = msgspec.convert({"items": list(items)}, VariableAssignerConfig)
    values = {"conversation": conversation(), "up": {"value": upstream, "list": ["d", "e"]}}
    ctx = TestContext(make_node("variable_assigner", {}), values=values)
    return await SPEC.run(config, ctx), ctx


def item(variable: str, operation: str, value: Any = None, constant: bool = True) -> dict[str, Any]:
    return {
        "variable": f"conversation.{variable}",
        "operation": operation,
        "input_type": "constant" if constant else "variable",
        "value": value,
    }


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        (item("name", "over-write", "bo"), "bo"),
        (item("name", "set", "cy"), "cy"),
        (item("name", "clear"), ""),
        (item("count", "clear"), 0),
        (item("tags", "clear"), []),
        (item("profile", "clear"), {}),
        (item("flag", "over-write", True), True),
        (item("profile", "set", '{"y": 2}'), {"y": 2}),
        (item("unset", "over-write", [1]), [1]),
        (item("count", "+=", 2), 6),
        (item("count", "-=", 1.5), 2.5),
        (item("count", "*=", 3), 12),
        (item("count", "/=", 2), 2),
        (item("tags", "append", "d"), ["a", "b", "c", "d"]),
        (item("tags", "extend", ["d", "e"]), ["a", "b", "c", "d", "e"]),
        (item("tags", "remove-first"), ["b", "c"]),
        (item("tags", "remove-last"), ["a", "b"]),
        (item("tags", "extend", "up.list", constant=False), ["a", "b", "c", "d", "e"]),
    ],
)
async def test_operation(assignment: dict[str, Any], expected: Any) -> None:
    result, ctx = await assign(assignment)

    assert result.status == "succeeded"
    assert ctx.assigned == {assignment["variable"]: expected}
    assert result.process_data == {"updated": {assignment["variable"]: expected}}


async def test_later_items_see_earlier_ones() -> None:
    _, ctx = await assign(item("count", "+=", 1), item("count", "*=", 10))
    assert ctx.assigned == {"conversation.count": 50}


async def test_a_variable_input_of_none_leaves_the_variable_alone() -> None:
    result, ctx = await assign(item("name", "over-write", "up.value", constant=False))
    assert result.status == "succeeded"
    assert ctx.assigned == {}


@pytest.mark.parametrize(
    ("assignment", "error"),
    [
        (item("name", "over-write", 5), "cannot write a number into a string variable"),
        (item("profile", "set", "not json"), "`not json` is not a JSON object"),
        (item("count", "+=", "2"), "`+=` needs a number, not a string"),
        (item("name", "+=", 1), "`+=` needs a number variable, not a string"),
        (item("count", "/=", 0), "cannot divide by zero"),
        (item("count", "append", 1), "`append` needs a list variable, not a number"),
        (item("tags", "extend", "x"), "`extend` needs a list to add, not a string"),
        (item("missing", "over-write", 1), "no value at `conversation.missing`"),
        (item("name", "over-write", "up.nothing", constant=False), "no value at `up.nothing`"),
        (
            {"variable": "up.value", "value": 1, "input_type": "constant"},
            "cannot assign `up.value`",
        ),
        ({"variable": "conversation", "value": 1, "input_type": "constant"}, "is not a variable"),
        ({"variable": "conversation.name", "value": None}, "a variable input needs a selector"),
    ],
)
async def test_a_type_error_fails_and_writes_nothing(
    assignment: dict[str, Any], error: str
) -> None:
    result, ctx = await assign(item("count", "+=", 1), assignment)

    assert result.status == "failed"
    assert error in (result.error or "")
    assert ctx.values["conversation"] == conversation()

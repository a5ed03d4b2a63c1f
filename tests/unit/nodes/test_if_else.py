"""If/else picks the first case whose conditions hold."""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine.nodes.if_else import SPEC, IfElseConfig

from .context import TestContext, make_node

CONFIG = msgspec.convert(
    {
        "cases": [
            {
                "id": "vip",
                "operator": "and",
                "conditions": [
                    {"variable": "start.tier", "op": "is", "value": "gold"},
                    {"variable": "start.age", "op": ">=", "value": "{{ start.min }}"},
                ],
            },
            {
                "id": "any_tag",
                "operator": "or",
                "conditions": [
                    {"variable": "start.tags", "op": "contains", "value": "new"},
                    {"variable": "start.tags", "op": "empty"},
                ],
            },
        ]
    },
    IfElseConfig,
)


async def decide(values: dict[str, Any]) -> Any:
    ctx = TestContext(make_node("if_else", {}), values={"start": {"min": 18, **values}})
    return await SPEC.run(CONFIG, ctx)


async def test_the_first_case_that_holds_wins() -> None:
    result = await decide({"tier": "gold", "age": 30, "tags": ["new"]})
    assert (result.handle, result.outputs) == ("vip", {"result": True, "case": "vip"})


async def test_or_cases_need_one_condition() -> None:
    result = await decide({"tier": "silver", "age": 30, "tags": []})
    assert result.handle == "any_tag"


async def test_else_when_no_case_holds() -> None:
    result = await decide({"tier": "silver", "age": 30, "tags": ["old"]})
    assert (result.handle, result.outputs) == ("else", {"result": False, "case": "else"})


async def test_a_missing_value_reads_as_none() -> None:
    result = await decide({"tier": "gold", "tags": ["x"]})
    assert result.handle == "else"


async def test_a_comparison_that_does_not_fit_fails_the_node() -> None:
    result = await decide({"tier": "gold", "age": "old", "tags": []})
    assert result.status == "failed"
    assert result.error == "case vip: value 'old' is not a number"


async def test_a_template_value_that_fails_to_render_fails_the_node() -> None:
    config = msgspec.convert(
        {
            "cases": [
                {
                    "id": "a",
                    "conditions": [
                        {"variable": "start.age", "op": "=", "value": "{{ nowhere.x }}"},
                    ],
                }
            ]
        },
        IfElseConfig,
    )
    ctx = TestContext(make_node("if_else", {}), values={"start": {"age": 1}})
    result = await SPEC.run(config, ctx)
    assert result.status == "failed"
    assert (result.error or "").startswith("case a: template failed")


def test_handles_are_the_case_ids_then_else() -> None:
    assert SPEC.handles(CONFIG) == ("vip", "any_tag", "else")

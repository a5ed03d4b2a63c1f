"""The list operator filters, picks, sorts and limits (in Dify's order)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from flowstead.engine.nodes.list_operator import SPEC, ListOperatorConfig

from .context import TestContext, make_node

PEOPLE = [
    {"name": "ada", "age": 36, "tags": ["math"]},
    {"name": "bo", "age": 7, "tags": []},
    {"name": "cy", "age": 52, "tags": ["art", "math"]},
    {"name": "di", "age": None, "tags": ["art"]},
]


async def operate(config: dict[str, Any], items: Any = PEOPLE) -> Any:
    ctx = TestContext(make_node("list_operator", {}), values={"start": {"items": items, "min": 30}})
    return await SPEC.run(
        msgspec.convert({"variable": "start.items", **config}, ListOperatorConfig), ctx
    )


def names(result: Any) -> list[str]:
    return [item["name"] for item in result.outputs["result"]]


async def test_filter_on_item_keys_with_and_or() -> None:
    result = await operate(
        {
            "filter": {
                "operator": "and",
                "conditions": [
                    {"variable": "age", "op": ">", "value": "{{ start.min }}"},
                    {"variable": "tags", "op": "contains", "value": "math"},
                ],
            }
        }
    )
    assert names(result) == ["ada", "cy"]
    result = await operate(
        {
            "filter": {
                "operator": "or",
                "conditions": [
                    {"variable": "age", "op": "<", "value": 10},
                    {"variable": "tags", "op": "empty"},
                ],
            }
        }
    )
    assert names(result) == ["bo"]


async def test_filter_on_the_items_themselves() -> None:
    result = await operate(
        {"filter": {"conditions": [{"variable": "", "op": "starts_with", "value": "a"}]}},
        items=["apple", "banana", "avocado"],
    )
    assert result.outputs == {
        "result": ["apple", "avocado"],
        "first_record": "apple",
        "last_record": "avocado",
    }


async def test_sort_puts_missing_values_last_and_limit_keeps_the_first() -> None:
    result = await operate({"sort": {"key": "age"}})
    assert names(result) == ["bo", "ada", "cy", "di"]
    result = await operate({"sort": {"key": "name", "order": "desc"}, "limit": 2})
    assert names(result) == ["di", "cy"]
    assert result.outputs["first_record"]["name"] == "di"
    assert result.outputs["last_record"]["name"] == "cy"


@pytest.mark.parametrize(("position", "name"), [(1, "ada"), (3, "cy"), (-1, "di")])
async def test_extract_picks_one_item(position: int, name: str) -> None:
    result = await operate({"extract": position})
    assert names(result) == [name]


async def test_an_empty_result_has_no_records() -> None:
    result = await operate({"limit": 0})
    assert result.outputs == {"result": [], "first_record": None, "last_record": None}


@pytest.mark.parametrize("items", [None, []])
async def test_no_list_to_operate_on_is_an_empty_result_even_when_extracting(items: Any) -> None:
    result = await operate({"extract": 1, "sort": {"key": "age"}}, items)
    assert result.status == "succeeded"
    assert result.outputs == {"result": [], "first_record": None, "last_record": None}


@pytest.mark.parametrize(
    ("config", "items", "error"),
    [
        ({}, "text", "`start.items` is a str, not a list"),
        ({"extract": 9}, PEOPLE, "no item at position 9 of 4"),
        ({"extract": 0}, PEOPLE, "no item at position 0 of 4"),
        ({"sort": {"key": ""}}, [1, "a"], "cannot sort: the values of `item` differ in type"),
        (
            {"filter": {"conditions": [{"variable": "name", "op": ">", "value": 1}]}},
            PEOPLE,
            "filter: value 'ada' is not a number",
        ),
    ],
)
async def test_errors(config: dict[str, Any], items: Any, error: str) -> None:
    result = await operate(config, items)
    assert (result.status, result.error) == ("failed", error)


async def test_a_missing_list_fails() -> None:
    ctx = TestContext(make_node("list_operator", {}))
    result = await SPEC.run(ListOperatorConfig(variable="nowhere.list"), ctx)
    assert (result.status, result.error) == ("failed", "no value at `nowhere.list`")

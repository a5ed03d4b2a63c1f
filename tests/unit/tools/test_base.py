from __future__ import annotations

from typing import Any

import pytest

from flowstead.engine.tools import BUILTIN_TOOLS, Param, ParameterError, Tool, ToolResult


async def _noop(params: dict[str, Any], ctx: Any) -> ToolResult:
    return ToolResult.ok("")


TOOL = Tool(
    name="demo",
    label="Demo",
    description="Takes one of each.",
    parameters=(
        Param("text", "string", "some text", required=True),
        Param("count", "integer", "how many", default=3),
        Param("ratio", "number", "a ratio"),
        Param("loud", "boolean", "shout?", default=False),
        Param("mode", "string", "a choice", options=("fast", "slow")),
        Param("extra", "object", "anything keyed"),
        Param("items", "array", "a list"),
    ),
    run=_noop,
)


def test_defaults_fill_in_and_unset_optional_values_stay_out() -> None:
    assert TOOL.bind({"text": "hi"}) == {"text": "hi", "count": 3, "loud": False}
    assert TOOL.bind({"text": "hi", "ratio": None, "mode": ""}) == {
        "text": "hi",
        "count": 3,
        "loud": False,
    }


def test_rendered_strings_become_the_declared_types() -> None:
    values = {
        "text": 42,
        "count": "7",
        "ratio": "0.5",
        "loud": "Yes",
        "mode": "slow",
        "extra": '{"a": 1}',
        "items": "[1, 2]",
    }
    assert TOOL.bind(values) == {
        "text": "42",
        "count": 7,
        "ratio": 0.5,
        "loud": True,
        "mode": "slow",
        "extra": {"a": 1},
        "items": [1, 2],
    }


def test_values_of_the_right_type_pass_as_they_are() -> None:
    values = {"text": "t", "count": 2.0, "ratio": 3, "loud": True, "extra": {}, "items": []}
    assert TOOL.bind(values) == values | {"count": 2}


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({}, "parameter `text` is required"),
        ({"text": ""}, "parameter `text` is required"),
        (
            {"text": "t", "nope": 1},
            "unknown parameter `nope`; demo takes text, count, ratio, loud, mode, extra, items",
        ),
        ({"text": "t", "count": "many"}, 'parameter `count` should be integer, got "many"'),
        ({"text": "t", "count": 2.5}, "parameter `count` should be integer, got 2.5"),
        ({"text": "t", "ratio": True}, "parameter `ratio` should be number, got true"),
        ({"text": "t", "loud": "maybe"}, 'parameter `loud` should be boolean, got "maybe"'),
        ({"text": "t", "mode": "medium"}, "parameter `mode` must be one of: fast, slow"),
        ({"text": "t", "extra": "[1]"}, 'parameter `extra` should be object, got "[1]"'),
        ({"text": "t", "items": "{nope"}, 'parameter `items` should be array, got "{nope"'),
        ({"text": ["a"]}, 'parameter `text` should be string, got ["a"]'),
    ],
)
def test_values_that_do_not_fit_are_refused(values: dict[str, Any], error: str) -> None:
    with pytest.raises(ParameterError) as caught:
        TOOL.bind(values)
    assert str(caught.value) == error


def test_json_schema_describes_the_parameters() -> None:
    schema = TOOL.json_schema()
    assert schema["type"] == "object"
    assert schema["required"] == ["text"]
    assert schema["properties"]["count"] == {
        "type": "integer",
        "description": "how many",
        "default": 3,
    }
    assert schema["properties"]["mode"] == {
        "type": "string",
        "description": "a choice",
        "enum": ["fast", "slow"],
    }


def test_the_registry_lists_the_builtin_tools_by_name() -> None:
    assert BUILTIN_TOOLS.names() == [
        "current_time",
        "http_get_json",
        "searxng_search",
        "web_fetch",
        "wikipedia_search",
    ]
    assert [tool.name for tool in BUILTIN_TOOLS] == BUILTIN_TOOLS.names()
    assert len(BUILTIN_TOOLS) == 5
    assert BUILTIN_TOOLS.get("nope") is None
    for tool in BUILTIN_TOOLS:
        assert tool.description
        assert tool.label
        assert all(p.description for p in tool.parameters)

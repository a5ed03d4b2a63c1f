"""The Start node checks and types the run's inputs (given under its own id)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from flowstead.engine.nodes.start import SPEC, StartConfig

from .context import TestContext, make_node


async def start(inputs: list[dict[str, Any]], given: dict[str, Any]) -> Any:
    config = msgspec.convert({"inputs": inputs}, StartConfig)
    ctx = TestContext(make_node("start", {}, "start"), values={"start": given})
    return await SPEC.run(config, ctx)


async def test_inputs_come_out_typed() -> None:
    result = await start(
        [
            {"name": "q"},
            {"name": "n", "type": "number"},
            {"name": "x", "type": "number"},
            {"name": "ok", "type": "checkbox"},
            {"name": "color", "type": "select", "options": ["red", "blue"]},
            {"name": "data", "type": "json"},
            {"name": "doc", "type": "file"},
            {"name": "docs", "type": "files"},
        ],
        {
            "q": "hi",
            "n": "42",
            "x": "2.5",
            "ok": "true",
            "color": "blue",
            "data": '{"a": 1}',
            "doc": {"id": "f1", "name": "a.txt"},
            "docs": [{"url": "http://x"}],
            "ignored": "extra",
        },
    )
    assert result.status == "succeeded"
    assert result.outputs == {
        "q": "hi",
        "n": 42,
        "x": 2.5,
        "ok": True,
        "color": "blue",
        "data": {"a": 1},
        "doc": {"id": "f1", "name": "a.txt"},
        "docs": [{"url": "http://x"}],
    }


async def test_optional_inputs_take_their_default() -> None:
    result = await start(
        [{"name": "q", "required": False}, {"name": "n", "type": "number", "default": "3"}],
        {},
    )
    assert result.outputs == {"q": None, "n": 3}


async def test_no_inputs_given_at_all_is_fine_without_required_ones() -> None:
    ctx = TestContext(make_node("start", {}, "start"))
    result = await SPEC.run(StartConfig(), ctx)
    assert (result.status, result.outputs) == ("succeeded", {})


@pytest.mark.parametrize(
    ("spec", "value", "error"),
    [
        ({"name": "q"}, None, "input `q` is required"),
        ({"name": "q"}, "", "input `q` is required"),
        ({"name": "q", "max_length": 3}, "long", "input `q` is 4 characters, more than 3"),
        ({"name": "q"}, {"a": 1}, "input `q` must be text, not dict"),
        ({"name": "n", "type": "number"}, "many", "input `n` must be a number; got 'many'"),
        ({"name": "n", "type": "number"}, True, "input `n` must be a number; got True"),
        (
            {"name": "c", "type": "checkbox"},
            "maybe",
            "input `c` must be true or false; got 'maybe'",
        ),
        (
            {"name": "s", "type": "select", "options": ["a", "b"]},
            "c",
            "input `s` must be one of a, b; got 'c'",
        ),
        ({"name": "j", "type": "json"}, "{oops", "input `j` is not valid JSON"),
        ({"name": "j", "type": "json"}, "[1, 2]", "input `j` must be a JSON object"),
        ({"name": "f", "type": "file"}, "a.txt", "input `f` must be a file"),
        ({"name": "f", "type": "files"}, {"id": "x"}, "input `f` must be a list of files"),
        ({"name": "f", "type": "files"}, [{"name": "x"}], "input `f` must be a file"),
    ],
)
async def test_a_bad_input_fails_with_a_clear_message(
    spec: dict[str, Any], value: Any, error: str
) -> None:
    result = await start([spec], {spec["name"]: value})
    assert result.status == "failed"
    assert (result.error or "").startswith(error)

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import tool
from flowstead.engine.ports import HttpResponse
from tests.unit.tools.context import CannedHttp, FixedClock

from .context import TestContext, make_node

NOON = 1719837000.0  # 2024-07-01 12:30:00 UTC


async def call(config: dict[str, Any], **ctx: Any) -> NodeResult:
    context = TestContext(
        node=make_node("tool", config),
        values={"start": {"zone": "Europe/Paris", "url": "https://api.test/v1"}},
        clock=FixedClock(NOON),
        **ctx,
    )
    return await tool.run(msgspec.convert(config, tool.ToolConfig), context)


async def test_runs_a_builtin_tool_with_rendered_parameters() -> None:
    config = {
        "tool": "current_time",
        "parameters": {"timezone": "{{ start.zone }}", "format": "%H:%M"},
    }
    result = await call(config)
    assert result.status == "succeeded", result.error
    assert result.outputs == {
        "text": "14:30",
        "json": {"iso": "2024-07-01T14:30:00+02:00", "timestamp": NOON, "timezone": "Europe/Paris"},
        "files": [],
    }
    assert result.inputs == {"timezone": "Europe/Paris", "format": "%H:%M"}


async def test_values_that_are_not_strings_are_used_as_they_are() -> None:
    http = CannedHttp({"https://api.test/v1": HttpResponse(200, {}, b"[1, 2]")})
    config = {
        "tool": "http_get_json",
        "parameters": {"url": "{{ start.url }}", "headers": {"X-Key": "{{ not rendered }}"}},
    }
    result = await call(config, http=http)
    assert result.outputs["json"] == [1, 2]
    assert http.requests[0].headers["X-Key"] == "{{ not rendered }}"


async def test_a_plugin_flowstead_lacks_is_named() -> None:
    result = await call({"provider": "langgenius/tavily", "tool": "tavily_search"})
    assert result.error == (
        "this node uses the Dify plugin 'langgenius/tavily' (tool 'tavily_search'),"
        " which Flowstead does not have"
    )


async def test_a_tool_of_a_dify_workspace_is_named() -> None:
    result = await call({"provider": "api:4f1c", "tool": "lookup_order"})
    assert result.error == (
        "this node uses the Dify workspace's api tool '4f1c' (tool 'lookup_order'),"
        " which Flowstead does not have"
    )


async def test_an_unknown_builtin_tool_lists_the_ones_there_are() -> None:
    result = await call({"tool": "teleport"})
    assert result.error == (
        "there is no built-in tool 'teleport'; there are: current_time, http_get_json, "
        "searxng_search, web_fetch, wikipedia_search"
    )


async def test_a_template_error_names_the_parameter() -> None:
    result = await call({"tool": "current_time", "parameters": {"timezone": "{{ start.nope }}"}})
    assert (
        result.error
        == "parameter `timezone`: template failed: 'dict object' has no attribute 'nope'"
    )


async def test_parameters_that_do_not_fit_fail() -> None:
    result = await call({"tool": "web_fetch", "parameters": {"max_chars": "lots"}})
    assert result.error == "web_fetch: parameter `url` is required"
    result = await call(
        {"tool": "web_fetch", "parameters": {"url": "https://x", "max_chars": "lots"}}
    )
    assert result.error == 'web_fetch: parameter `max_chars` should be integer, got "lots"'


async def test_a_failing_tool_fails_the_node() -> None:
    result = await call(
        {"tool": "web_fetch", "parameters": {"url": "https://down.test/"}}, http=CannedHttp()
    )
    assert (
        result.error
        == "web_fetch: could not fetch https://down.test/: could not connect to https://down.test/"
    )
    assert result.inputs == {"url": "https://down.test/", "max_chars": 20000}

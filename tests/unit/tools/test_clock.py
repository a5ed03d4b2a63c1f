from __future__ import annotations

from typing import Any

from flowstead.engine.tools import BUILTIN_TOOLS, ToolResult
from tests.unit.nodes.context import TestContext, make_node

from .context import FixedClock

# 2024-07-01 12:30:00 UTC
NOON = 1719837000.0


async def current_time(**params: Any) -> ToolResult:
    tool = BUILTIN_TOOLS.get("current_time")
    assert tool is not None
    ctx = TestContext(node=make_node("tool", {}), clock=FixedClock(NOON))
    return await tool.run(tool.bind(params), ctx)


async def test_defaults_to_utc() -> None:
    result = await current_time()
    assert result.text == "2024-07-01 12:30:00"
    assert result.json == {"iso": "2024-07-01T12:30:00+00:00", "timestamp": NOON, "timezone": "UTC"}


async def test_a_time_zone_and_format() -> None:
    result = await current_time(timezone="Asia/Tokyo", format="%H:%M %Z on %A")
    assert result.text == "21:30 JST on Monday"
    assert result.json["iso"] == "2024-07-01T21:30:00+09:00"


async def test_an_unknown_time_zone_fails() -> None:
    for name in ("Mars/Olympus", "../etc/passwd"):
        result = await current_time(timezone=name)
        assert result.error == f"unknown time zone {name!r}: use a name like Europe/Paris or UTC"

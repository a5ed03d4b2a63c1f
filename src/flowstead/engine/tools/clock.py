"""`current_time`: the time now in a time zone, formatted (Dify's `time/current_time`)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flowstead.engine.tools.base import Param, Tool, ToolResult

if TYPE_CHECKING:
    from flowstead.engine.node import NodeContext


async def current_time(params: dict[str, Any], ctx: NodeContext) -> ToolResult:
    name = params["timezone"]
    zone = _zone(name)
    if zone is None:
        return ToolResult.fail(f"unknown time zone {name!r}: use a name like Europe/Paris or UTC")
    now = ctx.clock.now()
    moment = datetime.fromtimestamp(now, zone)
    details = {"iso": moment.isoformat(), "timestamp": now, "timezone": name}
    return ToolResult.ok(moment.strftime(params["format"]), details)


def _zone(name: str) -> tzinfo | None:
    if name.upper() == "UTC":
        return UTC  # needs no time zone database, which slim images may lack
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


CURRENT_TIME = Tool(
    name="current_time",
    label="Current time",
    description="The current date and time in a time zone, formatted with strftime codes.",
    parameters=(
        Param("timezone", "string", "An IANA time zone name, e.g. Europe/Paris", default="UTC"),
        Param("format", "string", "strftime format", default="%Y-%m-%d %H:%M:%S"),
    ),
    run=current_time,
)

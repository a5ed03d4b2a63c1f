"""Built-in tools for the tool node (and, later, agents), listed by validation and the
canvas: `BUILTIN_TOOLS.names()`, `.get(name)`, iteration in name order."""

from __future__ import annotations

from flowstead.engine.tools.base import (
    Param,
    ParameterError,
    Tool,
    ToolRegistry,
    ToolResult,
    ToolSettings,
)
from flowstead.engine.tools.clock import CURRENT_TIME
from flowstead.engine.tools.searxng import SEARXNG_SEARCH
from flowstead.engine.tools.web import HTTP_GET_JSON, WEB_FETCH
from flowstead.engine.tools.wikipedia import WIKIPEDIA_SEARCH

BUILTIN_TOOLS = ToolRegistry(
    (CURRENT_TIME, WEB_FETCH, HTTP_GET_JSON, SEARXNG_SEARCH, WIKIPEDIA_SEARCH)
)

__all__ = [
    "BUILTIN_TOOLS",
    "Param",
    "ParameterError",
    "Tool",
    "ToolRegistry",
    "ToolResult",
    "ToolSettings",
]

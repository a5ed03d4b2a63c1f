"""Built-in tools for the tool node (and, later, agents), listed by validation and the
canvas: `BUILTIN_TOOLS.names()`, `.get(name)`, iteration in name order."""

from __future__ import annotations

from flowstead.engine.tools.base import (
    Param,
    ParameterError,
    Tool,
    ToolRegistry,
    ToolResult,
)
from flowstead.engine.tools.clock import CURRENT_TIME
from flowstead.engine.tools.web import HTTP_GET_JSON, WEB_FETCH

BUILTIN_TOOLS = ToolRegistry((CURRENT_TIME, WEB_FETCH, HTTP_GET_JSON))

__all__ = ["BUILTIN_TOOLS", "Param", "ParameterError", "Tool", "ToolRegistry", "ToolResult"]

"""Tool: calls a built-in tool (or says plainly which plugin is missing).

String parameter values are templates; other values are used as they are. Both are then
checked against the tool's parameters (see `engine/tools/`).
"""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.templates import TemplateError
from flowstead.engine.tools import BUILTIN_TOOLS, ParameterError


class ToolConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # `builtin`, or the id of a plugin Flowstead does not have (kept from imports).
    provider: str = "builtin"
    tool: str = ""
    # Parameter values: strings are templates, other values are used as is.
    parameters: dict[str, Any] = {}


async def run(config: ToolConfig, ctx: NodeContext) -> NodeResult:
    if config.provider != "builtin":
        return NodeResult.fail(f"this node uses {_foreign(config)}, which Flowstead does not have")
    tool = BUILTIN_TOOLS.get(config.tool)
    if tool is None:
        known = ", ".join(BUILTIN_TOOLS.names())
        return NodeResult.fail(f"there is no built-in tool '{config.tool}'; there are: {known}")
    rendered: dict[str, Any] = {}
    for name, value in config.parameters.items():
        try:
            rendered[name] = ctx.render(value) if isinstance(value, str) else value
        except TemplateError as exc:
            return NodeResult.fail(f"parameter `{name}`: {exc}")
    try:
        params = tool.bind(rendered)
    except ParameterError as exc:
        return NodeResult.fail(f"{tool.name}: {exc}", inputs=rendered)
    result = await tool.run(params, ctx)
    if result.error is not None:
        return NodeResult.fail(f"{tool.name}: {result.error}", inputs=params)
    return NodeResult.ok({"text": result.text, "json": result.json, "files": []}, inputs=params)


def _foreign(config: ToolConfig) -> str:
    """Names what an imported node needs: a plugin (`langgenius/tavily`) or a tool of the
    Dify workspace it came from (`api:<id>`, `workflow:<id>`, `mcp:<id>`)."""
    kind, colon, name = config.provider.partition(":")
    if colon and "/" not in config.provider:
        return f"the Dify workspace's {kind} tool '{name}' (tool '{config.tool}')"
    return f"the Dify plugin '{config.provider}' (tool '{config.tool}')"


SPEC: NodeSpec[ToolConfig] = NodeSpec(
    type="tool",
    label="Tool",
    config=ToolConfig,
    run=run,
    outputs=lambda c: {"text": "string", "json": "any", "files": "array[file]"},
    category="io",
)

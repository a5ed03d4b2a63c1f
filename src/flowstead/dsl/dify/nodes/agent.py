"""Dify agent nodes: a Flowstead agent when the strategy is Dify's own function calling or
ReAct and every enabled tool is one a Flowstead built-in tool does; otherwise a tool node
naming the Dify plugin that is missing (see `tools.import_agent`). A Flowstead agent
exports as a function-calling agent of Dify's agent plugin.

A Dify agent's parameters are `{type, value}` pairs: `model` (provider, `model` or `name`,
`completion_params`), `tools` (each with `provider_name`, `tool_name`, `enabled`, `settings`
the person fixed, and `parameters` where `auto: 0` fixes a value the model would fill),
`instruction`, `query` and `maximum_iterations`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowstead.dsl.dify import text
from flowstead.dsl.dify.context import ExportContext, ImportContext, as_int
from flowstead.dsl.dify.nodes import tools
from flowstead.dsl.dify.nodes.llm import DEFAULT_WINDOW, export_memory, export_model, import_model
from flowstead.engine.nodes.agent import MAX_ITERATIONS, AgentConfig, AgentTool
from flowstead.engine.nodes.llm import Memory
from flowstead.engine.nodes.tool import ToolConfig
from flowstead.engine.tools import BUILTIN_TOOLS

# Dify's agent strategies plugin, and the strategies Flowstead's agent does.
STRATEGY_PLUGIN = "langgenius/agent"
STRATEGY_PROVIDER = f"{STRATEGY_PLUGIN}/agent"
STRATEGIES = {"function_calling": "function calling", "react": "ReAct"}


def import_agent(data: Mapping[str, Any], ctx: ImportContext) -> AgentConfig | ToolConfig:
    strategy = str(data.get("agent_strategy_name") or "")
    plugin = tools.plugin_of(
        {
            "plugin_unique_identifier": data.get("plugin_unique_identifier"),
            "provider_id": data.get("agent_strategy_provider_name"),
        }
    )
    params = data.get("agent_parameters") or {}
    listed = [t for t in _value(params, "tools") or [] if isinstance(t, Mapping)]
    enabled = [t for t in listed if t.get("enabled", True) is not False]
    mapped = {id(t): _builtin(t) for t in enabled}
    missing = [t for t in enabled if mapped[id(t)] is None]
    if plugin != STRATEGY_PLUGIN or strategy.lower() not in STRATEGIES or missing or not enabled:
        for tool in missing:
            ctx.need_plugin(_plugin(tool))
        if missing:
            names = ", ".join(f"'{t.get('tool_name')}' ({_plugin(t)})" for t in missing)
            ctx.warning(f"its tools include ones Flowstead does not have: {names}")
        return tools.import_agent(data, ctx)
    if strategy.lower() == "react":
        ctx.info(
            "Dify's ReAct strategy became function calling: Flowstead's agent has the "
            "model call tools natively, so pick a model that supports tool calling"
        )
    if skipped := len(listed) - len(enabled):
        ctx.info(f"{skipped} disabled tool{'s were' if skipped > 1 else ' was'} left out")
    model = _value(params, "model")
    if isinstance(model, Mapping):
        model = {**model, "name": model.get("name") or model.get("model")}
    return AgentConfig(
        model=import_model(model, ctx),
        instruction=_text(params.get("instruction"), ctx),
        query=_text(params.get("query"), ctx),
        tools=[_tool(t, ctx) for t in enabled],
        max_iterations=_iterations(params, data),
        memory=_memory(data.get("memory"), ctx),
    )


def _value(params: Mapping[str, Any], key: str) -> Any:
    item = params.get(key)
    return item.get("value") if isinstance(item, Mapping) and "value" in item else item


def _text(item: Any, ctx: ImportContext) -> str:
    """An agent parameter or a tool setting (mixed text, a variable, or a constant) as a
    template."""
    if isinstance(item, Mapping) and "value" in item:
        kind, value = item.get("type"), item["value"]
        if kind == "variable":
            selector = ctx.selector(value)
            return "{{ " + text.expression(selector) + " }}" if selector else ""
        item = value
    return ctx.text(item) if isinstance(item, str) else "" if item is None else str(item)


def _plugin(tool: Mapping[str, Any]) -> str:
    return tools.plugin_of(
        {
            "plugin_unique_identifier": tool.get("plugin_unique_identifier"),
            "provider_id": tool.get("provider_name") or tool.get("provider_id"),
            "provider_type": tool.get("type") or tool.get("provider_type"),
        }
    )


def _builtin(tool: Mapping[str, Any]) -> str | None:
    """The Flowstead built-in tool a Dify tool maps onto, or None."""
    plugin, name = _plugin(tool), str(tool.get("tool_name") or "")
    if plugin == "builtin":
        return name if BUILTIN_TOOLS.get(name) is not None else None
    return tools.BUILTINS.get((plugin, name))


def _tool(tool: Mapping[str, Any], ctx: ImportContext) -> AgentTool:
    """The built-in tool with the values the Dify tool fixed: its form settings, and the
    model-filled parameters set to a value (`auto: 0`). They are read as a Dify tool node's
    would be (renamed, adapted and reported the same way)."""
    settings = {
        str(k): v["value"] if isinstance(v, Mapping) and "value" in v else v
        for k, v in dict(tool.get("settings") or {}).items()
    }
    settings |= {
        str(k): v["value"]
        for k, v in dict(tool.get("parameters") or {}).items()
        if isinstance(v, Mapping) and not v.get("auto", 1) and v.get("value") is not None
    }
    node = tools.import_tool(
        {
            "plugin_unique_identifier": tool.get("plugin_unique_identifier"),
            "provider_id": tool.get("provider_name") or tool.get("provider_id"),
            "provider_type": tool.get("type") or tool.get("provider_type"),
            "tool_name": tool.get("tool_name"),
            "tool_configurations": settings,
        },
        ctx,
    )
    fixed = {k: v for k, v in node.parameters.items() if v not in (None, "")}
    return AgentTool(node.tool, fixed)


def _iterations(params: Mapping[str, Any], data: Mapping[str, Any]) -> int:
    raw = next(
        (
            v
            for v in (
                _value(params, "maximum_iterations"),
                _value(params, "max_iterations"),
                data.get("max_iteration"),
            )
            if v is not None
        ),
        None,
    )
    default = AgentConfig().max_iterations
    return min(max(as_int(raw, default), 1), MAX_ITERATIONS)


def _memory(memory: Any, ctx: ImportContext) -> Memory | None:
    if not isinstance(memory, Mapping) or ctx.mode != "chat":
        return None
    window = memory.get("window") or {}
    if window.get("enabled"):
        return Memory(as_int(window.get("size"), DEFAULT_WINDOW))
    ctx.info(
        f"Dify kept as much conversation history as fit the model; Flowstead keeps the "
        f"last {DEFAULT_WINDOW} turns"
    )
    return Memory(DEFAULT_WINDOW)


def export_agent(config: AgentConfig, ctx: ExportContext) -> dict[str, Any]:
    """Dify's function-calling agent with the same model, prompts, tools and limit."""
    model = export_model(config.model)
    parameters: dict[str, Any] = {
        "model": _constant(
            {**model, "model": model["name"], "model_type": "llm", "type": "model-selector"}
        ),
        "tools": _constant([_export_tool(tool, ctx) for tool in config.tools]),
        "instruction": _constant(ctx.text(config.instruction)),
        "query": _constant(ctx.text(config.query)),
        "maximum_iterations": _constant(config.max_iterations),
    }
    data: dict[str, Any] = {
        "agent_strategy_provider_name": STRATEGY_PROVIDER,
        "agent_strategy_name": "function_calling",
        "agent_strategy_label": "FunctionCalling",
        "agent_parameters": parameters,
    }
    if config.memory is not None:
        data["memory"] = export_memory(config.memory.window)
    return data


def _constant(value: Any) -> dict[str, Any]:
    return {"type": "constant", "value": value}


def _export_tool(tool: AgentTool, ctx: ExportContext) -> dict[str, Any]:
    """A Dify agent's tool: the Dify tool a built-in one stands for (as a tool node exports
    it), its fixed values as parameters the model does not fill (`auto: 0`)."""
    node = tools.export_tool(ToolConfig(tool=tool.name, parameters=tool.parameters), ctx)
    fixed = {name: {"auto": 0, "value": value} for name, value in node["tool_parameters"].items()}
    return {
        "enabled": True,
        "provider_name": node["provider_id"],
        "tool_name": node["tool_name"],
        "type": node["provider_type"],
        "settings": {},
        "parameters": fixed,
    }

"""Tool and agent nodes (Flowstead's built-in tool where there is one, otherwise a tool node
naming the Dify plugin Flowstead lacks), and knowledge retrieval (Dify dataset ids kept as
knowledge base names)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowstead.dsl.dify import text
from flowstead.dsl.dify.context import ExportContext, ImportContext, as_float, as_int
from flowstead.engine.nodes.knowledge_retrieval import KnowledgeRetrievalConfig
from flowstead.engine.nodes.tool import ToolConfig
from flowstead.engine.tools import BUILTIN_TOOLS

_INPUT_TYPES = ("mixed", "variable", "constant")
# Dify tools (plugin, tool) that a Flowstead built-in tool does.
BUILTINS = {
    ("langgenius/time", "current_time"): "current_time",
    ("langgenius/webscraper", "webscraper"): "web_fetch",
    ("langgenius/searxng", "searxng_search"): "searxng_search",
    ("langgenius/wikipedia", "wikipedia_search"): "wikipedia_search",
    ("langgenius/jina", "jina_reader"): "web_fetch",
}
# A built-in tool exports as the first Dify tool it stands for (web_fetch as webscraper).
_DIFY_TOOLS = {builtin: dify for dify, builtin in reversed(BUILTINS.items())}
# Dify parameter names a built-in tool calls otherwise: (plugin, tool) -> Dify -> Flowstead.
_RENAMED = {("langgenius/searxng", "searxng_search"): {"search_type": "categories"}}
# SearXNG categories by the names Dify's tool gave them (older versions: Page, Image…).
_SEARXNG_CATEGORIES = {
    "page": "general",
    "image": "images",
    "video": "videos",
    "social_media": "social media",
}
# Language names Dify's Wikipedia tool was given, as Wikipedia codes.
_WIKIPEDIA_LANGUAGES = {
    "english": "en",
    "chinese": "zh",
    "中文": "zh",
    "japanese": "ja",
    "german": "de",
    "french": "fr",
    "spanish": "es",
    "russian": "ru",
    "italian": "it",
    "portuguese": "pt",
    "korean": "ko",
}


def plugin_of(data: Mapping[str, Any]) -> str:
    """The plugin a Dify tool comes from (`langgenius/tavily`), or `<type>:<id>` for tools
    defined in the Dify workspace (custom API tools, workflows as tools, MCP servers)."""
    unique = str(data.get("plugin_unique_identifier") or "")
    if unique:
        return unique.split(":")[0].split("@")[0]
    provider = str(data.get("provider_id") or data.get("provider_name") or "")
    kind = str(data.get("provider_type") or "builtin")
    parts = provider.split("/")
    if provider == "builtin":  # a Flowstead built-in tool, exported
        return provider
    if len(parts) >= 2:
        return "/".join(parts[:2])
    # Dify 1.0 moved its built-in tools into plugins under `langgenius/`.
    return f"langgenius/{provider}" if kind in ("builtin", "plugin") else f"{kind}:{provider}"


def _param(value: Any, ctx: ImportContext) -> Any:
    """A Dify tool input (mixed text, a variable, or a constant) as a parameter value."""
    if isinstance(value, Mapping) and value.get("type") in _INPUT_TYPES and "value" in value:
        kind, value = value["type"], value["value"]
        if kind == "variable":
            selector = ctx.selector(value)
            return "{{ " + text.expression(selector) + " }}" if selector else ""
        if kind == "mixed" and isinstance(value, str):
            return ctx.text(value)
    return text.escape(value) if isinstance(value, str) else value


def _export_param(value: Any, ctx: ExportContext) -> dict[str, Any]:
    if not isinstance(value, str):
        return {"type": "constant", "value": value}
    pieces = list(text.pieces(value))
    if len(pieces) == 1 and pieces[0][0] == "ref":
        return {"type": "variable", "value": ctx.selector(".".join(text.selector_of(pieces[0][1])))}
    return {"type": "mixed", "value": ctx.text(value)}


def import_tool(data: Mapping[str, Any], ctx: ImportContext) -> ToolConfig:
    tool = str(data.get("tool_name") or "")
    plugin = plugin_of(data)
    settings = dict(data.get("tool_configurations") or {}) | dict(data.get("tool_parameters") or {})
    parameters = {str(k): _param(v, ctx) for k, v in settings.items()}
    if (plugin, tool) in BUILTINS:
        renamed = _RENAMED.get((plugin, tool), {})
        parameters = {renamed.get(k, k): v for k, v in parameters.items()}
        return _builtin(BUILTINS[plugin, tool], tool, _adapt(parameters), ctx)
    if plugin == "builtin":
        return ToolConfig(tool=tool, parameters=parameters)
    ctx.need_plugin(plugin)
    if "/" in plugin:
        ctx.warning(
            f"tool '{tool}' comes from the Dify plugin '{plugin}', which Flowstead does not have"
        )
    else:
        kind, _, _ = plugin.partition(":")
        name = data.get("provider_name") or data.get("tool_label") or plugin
        ctx.warning(
            f"tool '{tool}' is a {kind} tool ('{name}') of the Dify workspace, which "
            "Flowstead does not have"
        )
    return ToolConfig(provider=plugin, tool=tool, parameters=parameters)


def _builtin(
    name: str, dify_tool: str, parameters: dict[str, Any], ctx: ImportContext
) -> ToolConfig:
    builtin = BUILTIN_TOOLS.get(name)
    takes = {p.name for p in builtin.parameters} if builtin is not None else set()
    dropped = ", ".join(sorted(set(parameters) - takes))
    ctx.info(
        f"Dify's '{dify_tool}' tool became the built-in tool '{name}'"
        + (f"; settings it does not have were dropped: {dropped}" if dropped else "")
    )
    return ToolConfig(tool=name, parameters={k: v for k, v in parameters.items() if k in takes})


def _adapt(parameters: dict[str, Any]) -> dict[str, Any]:
    """Dify's constant values as the built-in tools take them; templates are left as
    they are (they are checked when the node runs)."""
    adapted = dict(parameters)
    category = adapted.get("categories")
    if isinstance(category, str) and "{" not in category:
        adapted["categories"] = _SEARXNG_CATEGORIES.get(category.lower(), category.lower())
    if adapted.get("time_range") in ("None", "none"):  # Dify's "unlimited time"
        del adapted["time_range"]
    if isinstance(language := adapted.get("language"), str):
        adapted["language"] = _WIKIPEDIA_LANGUAGES.get(language.strip().lower(), language)
    return adapted


def import_agent(data: Mapping[str, Any], ctx: ImportContext) -> ToolConfig:
    strategy = str(data.get("agent_strategy_name") or "")
    plugin = plugin_of(
        {
            "plugin_unique_identifier": data.get("plugin_unique_identifier"),
            "provider_id": data.get("agent_strategy_provider_name"),
        }
    )
    ctx.need_plugin(plugin)
    ctx.warning(
        f"this agent uses the strategy '{strategy}' of the Dify plugin '{plugin}', "
        "which Flowstead does not have; it became a tool node. Rebuild it with LLM "
        "and tool nodes"
    )
    return ToolConfig(
        provider=plugin,
        tool=strategy,
        parameters={
            str(k): _param(v, ctx) for k, v in (data.get("agent_parameters") or {}).items()
        },
    )


def export_tool(config: ToolConfig, ctx: ExportContext) -> dict[str, Any]:
    tool, provider = config.tool, config.provider
    parameters = config.parameters
    if provider == "builtin" and tool in _DIFY_TOOLS:
        provider, tool = _DIFY_TOOLS[tool]
        dify_names = {new: old for old, new in _RENAMED.get((provider, tool), {}).items()}
        parameters = {dify_names.get(k, k): v for k, v in parameters.items()}
    kind, colon, provider_id = provider.partition(":")
    if not colon:
        kind, provider_id = "builtin", provider
        if provider_id.count("/") == 1:  # Dify names a plugin's provider org/plugin/provider
            provider_id += "/" + provider_id.split("/")[1]
    return {
        "provider_id": provider_id,
        "provider_name": provider_id,
        "provider_type": kind,
        "tool_name": tool,
        "tool_label": tool,
        "tool_configurations": {},
        "tool_parameters": {k: _export_param(v, ctx) for k, v in parameters.items()},
    }


def import_knowledge_retrieval(
    data: Mapping[str, Any], ctx: ImportContext
) -> KnowledgeRetrievalConfig:
    ids = [str(i) for i in data.get("dataset_ids") or []]
    settings = data.get("multiple_retrieval_config") or {}
    if data.get("retrieval_mode") == "single":
        ctx.warning(
            "Dify let a model pick one knowledge base (single retrieval); Flowstead "
            "searches all of them"
        )
    if settings.get("reranking_enable"):
        ctx.info("the reranking settings were not carried over")
    if data.get("metadata_filtering_mode") not in (None, "disabled"):
        ctx.warning("the metadata filters were not carried over; set them again")
    if ids:
        ctx.need_knowledge_bases(ids)
        ctx.warning(
            f"the Dify knowledge bases {', '.join(ids)} were kept by id; map each to "
            "a Flowstead knowledge base by name"
        )
    return KnowledgeRetrievalConfig(
        query=ctx.selector(data.get("query_variable_selector")) or "sys.query",
        knowledge_bases=ids,
        top_k=as_int(settings.get("top_k"), KnowledgeRetrievalConfig().top_k),
        score_threshold=as_float(settings.get("score_threshold"), None),
    )


def export_knowledge_retrieval(
    config: KnowledgeRetrievalConfig, ctx: ExportContext
) -> dict[str, Any]:
    return {
        "query_variable_selector": ctx.selector(config.query),
        "dataset_ids": config.knowledge_bases,
        "retrieval_mode": "multiple",
        "multiple_retrieval_config": {
            "top_k": config.top_k,
            "score_threshold": config.score_threshold,
            "reranking_enable": False,
        },
    }

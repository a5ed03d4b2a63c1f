"""Model nodes: LLM, question classifier, parameter extractor, and the model they name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from flowstead.dsl.dify import text
from flowstead.dsl.dify.context import ExportContext, ImportContext, as_float, as_int
from flowstead.engine.nodes._common import ModelRef
from flowstead.engine.nodes.llm import LLMConfig, Memory, Message
from flowstead.engine.nodes.parameter_extractor import (
    Parameter,
    ParameterExtractorConfig,
    ParamType,
)
from flowstead.engine.nodes.question_classifier import Class, QuestionClassifierConfig

DEFAULT_WINDOW = Memory().window
PARAM_TYPES: dict[str, ParamType] = {
    "string": "string",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "select": "select",
    "array[string]": "array[string]",
    "array[number]": "array[number]",
    "array[object]": "array[object]",
    "array[bool]": "array[boolean]",
    "array[boolean]": "array[boolean]",
    "object": "object",
}
_DIFY_PARAM_TYPES = {"boolean": "bool", "array[boolean]": "array[bool]"}


def import_model(data: Any, ctx: ImportContext) -> ModelRef:
    """Dify's model (provider, name, completion_params) as a ModelRef, with a warning when
    the provider is not one configured here."""
    model = data if isinstance(data, Mapping) else {}
    # Plugin-era providers are "org/plugin/provider"; the provider is the last part.
    provider = str(model.get("provider") or "").rsplit("/", 1)[-1]
    name = str(model.get("name") or "")
    params = dict(model.get("completion_params") or {})
    stop = params.pop("stop", [])
    max_tokens = params.pop("max_tokens", None)
    ref = ModelRef(
        provider=provider,
        name=name,
        temperature=as_float(params.pop("temperature", None), None),
        top_p=as_float(params.pop("top_p", None), None),
        max_tokens=as_int(max_tokens, 0) if max_tokens is not None else None,
        stop=[str(s) for s in stop] if isinstance(stop, list) else [],
        extra=params,
    )
    if not provider or not name:
        ctx.warning("no model is chosen; pick one")
    elif provider not in ctx.providers:
        ctx.need_provider(provider, name)
        ctx.warning(
            f"model provider '{provider}' is not configured here (model '{name}'); "
            "configure it or pick another model"
        )
    return ref


def export_model(model: ModelRef) -> dict[str, Any]:
    params: dict[str, Any] = {
        k: v
        for k, v in (
            ("temperature", model.temperature),
            ("top_p", model.top_p),
            ("max_tokens", model.max_tokens),
        )
        if v is not None
    }
    if model.stop:
        params["stop"] = model.stop
    return {
        "provider": model.provider,
        "name": model.name,
        "mode": "chat",
        "completion_params": params | model.extra,
    }


def _window(memory: Any, ctx: ImportContext) -> int | None:
    if not isinstance(memory, Mapping):
        return None
    window = memory.get("window") or {}
    if window.get("enabled"):
        return as_int(window.get("size"), DEFAULT_WINDOW)
    ctx.info(
        f"Dify kept as much conversation history as fit the model; Flowstead keeps the "
        f"last {DEFAULT_WINDOW} turns"
    )
    return DEFAULT_WINDOW


def export_memory(window: int) -> dict[str, Any]:
    return {
        "window": {"enabled": True, "size": window},
        "query_prompt_template": "",
        "role_prefix": {"user": "", "assistant": ""},
    }


def _vision(data: Mapping[str, Any], ctx: ImportContext) -> None:
    if (data.get("vision") or {}).get("enabled"):
        ctx.warning(
            "vision is on in Dify, but Flowstead does not send images to the model; "
            "the image input was ignored"
        )


def import_llm(data: Mapping[str, Any], ctx: ImportContext) -> LLMConfig:
    jinja_vars = (data.get("prompt_config") or {}).get("jinja2_variables") or []

    def prompt(item: Mapping[str, Any]) -> str:
        if item.get("edition_type") == "jinja2":
            return ctx.jinja(
                item.get("jinja2_text") or item.get("text"), jinja_vars, only_used=True
            )
        return ctx.text(item.get("text", ""))

    template = data.get("prompt_template") or []
    system, messages = "", []
    if isinstance(template, Mapping):
        ctx.info("the completion-style prompt became a user message")
        messages.append(Message("user", prompt(template)))
    for index, item in enumerate(template if isinstance(template, list) else []):
        role = item.get("role", "user")
        if index == 0 and role == "system":
            system = prompt(item)
        elif role in ("system", "user", "assistant"):
            messages.append(Message(role, prompt(item)))
        else:
            ctx.warning(f"a prompt message with the role {role!r} was dropped")
    memory = data.get("memory")
    if memory and ctx.mode == "workflow":
        ctx.info("conversation memory has no effect in a workflow app and was dropped")
        memory = None
    window = _window(memory, ctx)
    if window is not None:
        # With memory, Dify sends the user's query (its query template) as the last message.
        query = (memory or {}).get("query_prompt_template") or "{{#sys.query#}}"
        messages.append(Message("user", ctx.text(query)))
    context = data.get("context") or {}
    structured = data.get("structured_output") or {}
    _vision(data, ctx)
    return LLMConfig(
        model=import_model(data.get("model"), ctx),
        system=system,
        messages=messages,
        memory=Memory(window) if window is not None else None,
        context=(ctx.selector(context.get("variable_selector")) or None)
        if context.get("enabled")
        else None,
        json_schema=structured.get("schema") if data.get("structured_output_enabled") else None,
        reasoning_format="separated" if data.get("reasoning_format") == "separated" else "tagged",
    )


def export_llm(config: LLMConfig, ctx: ExportContext) -> dict[str, Any]:
    messages = [Message("system", config.system), *config.messages]
    data: dict[str, Any] = {
        "model": export_model(config.model),
        "variables": [],
        "vision": {"enabled": False},
        "reasoning_format": config.reasoning_format,
    }
    if config.memory is not None:
        data["memory"] = export_memory(config.memory.window)
        if len(messages) > 1 and messages[-1].role == "user":
            data["memory"]["query_prompt_template"] = ctx.text(messages.pop().text)
    jinja_vars: dict[str, dict[str, Any]] = {}
    prompts = []
    for message in messages:
        variables, body = ctx.jinja(message.text)
        if variables or not text.is_plain(message.text):
            prompts.append(
                {"role": message.role, "text": body, "edition_type": "jinja2", "jinja2_text": body}
            )
            jinja_vars |= {v["variable"]: v for v in variables}
        else:
            prompts.append({"role": message.role, "text": ctx.text(message.text)})
    data["prompt_template"] = prompts
    if jinja_vars:
        data["prompt_config"] = {"jinja2_variables": list(jinja_vars.values())}
    data["context"] = {
        "enabled": config.context is not None,
        "variable_selector": ctx.selector(config.context),
    }
    if config.json_schema is not None:
        data |= {
            "structured_output_enabled": True,
            "structured_output": {"schema": config.json_schema},
        }
    return data


def import_question_classifier(
    data: Mapping[str, Any], ctx: ImportContext
) -> QuestionClassifierConfig:
    _vision(data, ctx)
    return QuestionClassifierConfig(
        model=import_model(data.get("model"), ctx),
        query=ctx.selector(data.get("query_variable_selector")) or "sys.query",
        classes=[
            Class(str(c.get("id")), str(c.get("name") or "")) for c in data.get("classes") or []
        ],
        instruction=ctx.text(data.get("instruction") or data.get("instructions") or ""),
        memory_window=_window(data.get("memory"), ctx),
    )


def export_question_classifier(
    config: QuestionClassifierConfig, ctx: ExportContext
) -> dict[str, Any]:
    data = {
        "model": export_model(config.model),
        "query_variable_selector": ctx.selector(config.query),
        "classes": [{"id": c.id, "name": c.name} for c in config.classes],
        "instruction": ctx.text(config.instruction),
        "instructions": "",
        "topics": [],
    }
    if config.memory_window is not None:
        data["memory"] = export_memory(config.memory_window)
    return data


def import_parameter_extractor(
    data: Mapping[str, Any], ctx: ImportContext
) -> ParameterExtractorConfig:
    parameters = []
    for param in data.get("parameters") or []:
        kind = PARAM_TYPES.get(param.get("type", "string"))
        if kind is None:
            ctx.warning(
                f"the parameter {param.get('name')!r} has the type "
                f"{param.get('type')!r}, which Flowstead lacks; it became a string"
            )
        parameters.append(
            Parameter(
                name=str(param.get("name", "")),
                type=kind or "string",
                description=str(param.get("description") or ""),
                required=bool(param.get("required", False)),
                options=[str(o) for o in param.get("options") or []],
            )
        )
    _vision(data, ctx)
    mode: Literal["function_call", "prompt"] = (
        "prompt" if data.get("reasoning_mode") == "prompt" else "function_call"
    )
    return ParameterExtractorConfig(
        model=import_model(data.get("model"), ctx),
        query=ctx.selector(data.get("query")) or "sys.query",
        parameters=parameters,
        instruction=ctx.text(data.get("instruction") or ""),
        mode=mode,
        memory_window=_window(data.get("memory"), ctx),
    )


def export_parameter_extractor(
    config: ParameterExtractorConfig, ctx: ExportContext
) -> dict[str, Any]:
    data = {
        "model": export_model(config.model),
        "query": ctx.selector(config.query),
        "parameters": [
            {
                "name": p.name,
                "type": _DIFY_PARAM_TYPES.get(p.type, p.type),
                "description": p.description,
                "required": p.required,
                "options": p.options,
            }
            for p in config.parameters
        ],
        "instruction": ctx.text(config.instruction),
        "reasoning_mode": config.mode,
        "variables": [],
    }
    if config.memory_window is not None:
        data["memory"] = export_memory(config.memory_window)
    return data

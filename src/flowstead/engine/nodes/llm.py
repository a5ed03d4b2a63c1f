"""LLM: a chat completion with templated messages, memory, streaming and structured output.

Context: when `context` names a selector, its value (retrieved chunks are joined by their
`content`) replaces a `{{ context }}` or Dify's `{{#context#}}` placeholder in the system
prompt or messages; with no placeholder it is appended to the system prompt in a
`<context>` block. Memory (chat mode): the last `memory.window` turns go before the last
user message.

Streaming: each answer delta is passed to `ctx.stream_text` as it arrives. With
`reasoning_format: separated` reasoning (the provider's, or `<think>` blocks in the text)
goes to the `reasoning` output and is never streamed; `tagged` leaves it in `text`.

Structured output: with `json_schema`, the schema is sent with the request, the answer is
parsed as JSON and validated; an invalid answer gets one repair request (not streamed).
"""

from __future__ import annotations

import re
from typing import Any, Literal

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.nodes._common import ModelRef
from flowstead.engine.nodes._llm_common import (
    Completion,
    as_text,
    build_request,
    complete,
    last_turns,
    message_data,
    missing_model,
    render_field,
    usage_output,
    with_memory,
)
from flowstead.engine.nodes._structured import schema_problem, structured_output
from flowstead.engine.ports import ChatMessage, LLMError
from flowstead.engine.templates import TemplateError


class Message(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["system", "user", "assistant"]
    text: str


class Memory(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Chat mode: include the last `window` turns of the conversation."""

    window: int = 10


class LLMConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    system: str = ""
    messages: list[Message] = []
    memory: Memory | None = None
    # A selector whose value is added as context (e.g. knowledge retrieval results).
    context: str | None = None
    json_schema: dict[str, Any] | None = None
    # `separated`: <think>…</think> goes to `reasoning`; `tagged`: left in `text`.
    reasoning_format: Literal["separated", "tagged"] = "separated"


CONTEXT_PREAMBLE = (
    "Use the following context as your learned knowledge, inside <context></context> XML tags."
)
# `{{#context#}}` is Dify's placeholder (never valid Jinja); `{{ context }}` is ours.
_DIFY_PLACEHOLDER = re.compile(r"\{\{#context#\}\}")
_PLACEHOLDER = re.compile(r"\{\{\s*(?:#context#|context)\s*\}\}")
_SENTINEL = "\x00flowstead-context\x00"


async def run(config: LLMConfig, ctx: NodeContext) -> NodeResult:
    if problem := missing_model(config.model):
        return NodeResult.fail(problem)
    if config.json_schema is not None and (problem := schema_problem(config.json_schema)):
        return NodeResult.fail(problem)
    try:
        context = _context(config, ctx)
        messages = _messages(config, ctx, context)
    except (TemplateError, selectors.Missing) as exc:
        return NodeResult.fail(str(exc))
    inputs = {"context": context} if context is not None else {}
    process: dict[str, Any] = {
        "model": _model_data(config.model),
        "messages": message_data(messages),
    }
    request = build_request(config.model, messages, json_schema=config.json_schema)
    separate = config.reasoning_format == "separated"
    try:
        answer = await complete(ctx.llm, request, on_text=ctx.stream_text, separate=separate)
    except LLMError as exc:
        return NodeResult.fail(str(exc), inputs=inputs, process_data=process)
    if config.json_schema is None:
        return NodeResult.ok(
            _outputs_of(answer), inputs=inputs, process_data=process, usage=answer.usage
        )

    structured = await structured_output(ctx.llm, request, answer, config.json_schema, separate)
    if structured.repair is not None:
        process["repair"] = structured.repair
    final = structured.answer
    if structured.error is not None:
        return NodeResult.fail(
            structured.error, inputs=inputs, process_data=process, usage=final.usage
        )
    outputs = {**_outputs_of(final), "structured_output": structured.value}
    return NodeResult.ok(outputs, inputs=inputs, process_data=process, usage=final.usage)


def _context(config: LLMConfig, ctx: NodeContext) -> str | None:
    if not config.context:
        return None
    try:
        value = ctx.resolve(config.context)
    except selectors.Missing as exc:
        raise selectors.Missing(f"context: {exc}") from exc
    return context_text(value)


def context_text(value: Any) -> str:
    """A context value as prompt text: retrieved chunks by their `content`, one per paragraph."""
    items = value if isinstance(value, list) else [value]
    parts = [
        as_text(item.get("content"))
        if isinstance(item, dict) and "content" in item
        else as_text(item)
        for item in items
    ]
    return "\n\n".join(part for part in parts if part)


def _messages(config: LLMConfig, ctx: NodeContext, context: str | None) -> list[ChatMessage]:
    placeholder = _PLACEHOLDER if context is not None else _DIFY_PLACEHOLDER
    used = any(placeholder.search(t) for t in [config.system, *(m.text for m in config.messages)])

    def render(template: str, name: str) -> str:
        text = render_field(ctx, placeholder.sub(_SENTINEL, template), name)
        return text.replace(_SENTINEL, context or "")

    system = render(config.system, "system")
    if context is not None and not used:
        block = f"{CONTEXT_PREAMBLE}\n<context>\n{context}\n</context>"
        system = f"{system.rstrip()}\n\n{block}" if system.strip() else block
    messages = [ChatMessage("system", system)] if system.strip() else []
    messages += [
        ChatMessage(m.role, render(m.text, f"messages[{i}] ({m.role})"))
        for i, m in enumerate(config.messages)
    ]
    if config.memory is not None:
        messages = with_memory(messages, last_turns(ctx.history, config.memory.window))
    return messages


def _outputs_of(answer: Completion) -> dict[str, Any]:
    return {
        "text": answer.text,
        "reasoning": answer.reasoning,
        "usage": usage_output(answer.usage),
        "finish_reason": answer.finish_reason,
    }


def _model_data(model: ModelRef) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(model)
    return data


def _outputs(c: LLMConfig) -> dict[str, str]:
    outputs = {
        "text": "string",
        "reasoning": "string",
        "usage": "object",
        "finish_reason": "string",
    }
    if c.json_schema is not None:
        outputs["structured_output"] = "object"
    return outputs


SPEC = NodeSpec(
    type="llm",
    label="LLM",
    config=LLMConfig,
    run=run,
    outputs=_outputs,
    category="ai",
)

"""What the model-driven nodes share: building a request, memory, collecting a stream,
reading JSON out of a model's text, and reporting usage."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext
from flowstead.engine.nodes._common import ModelRef
from flowstead.engine.ports import LLM, ChatMessage, ChatRequest, ToolCall, ToolSpec, Usage
from flowstead.engine.reasoning import ThinkSplitter
from flowstead.engine.templates import TemplateError

TextSink = Callable[[str], Awaitable[None]]


def missing_model(model: ModelRef) -> str | None:
    """Why `model` cannot be called (its provider or name is not set), or None."""
    missing = [
        name
        for name, value in (("provider", model.provider), ("name", model.name))
        if not value.strip()
    ]
    if not missing:
        return None
    fields = " and ".join(f"model.{name}" for name in missing)
    return f"no model configured: {fields} {'is' if len(missing) == 1 else 'are'} not set"


def build_request(
    model: ModelRef,
    messages: Sequence[ChatMessage],
    *,
    tools: Sequence[ToolSpec] = (),
    json_schema: dict[str, Any] | None = None,
) -> ChatRequest:
    return ChatRequest(
        provider=model.provider,
        model=model.name,
        messages=tuple(messages),
        temperature=model.temperature,
        top_p=model.top_p,
        max_tokens=model.max_tokens,
        stop=tuple(model.stop),
        tools=tuple(tools),
        json_schema=json_schema,
        extra=dict(model.extra),
    )


def last_turns(history: Sequence[ChatMessage], window: int) -> list[ChatMessage]:
    """The last `window` turns of a conversation; a turn starts at each user message."""
    if window <= 0:
        return []
    starts = [i for i, message in enumerate(history) if message.role == "user"]
    if len(starts) <= window:
        return list(history)
    return list(history[starts[-window] :])


def with_memory(
    messages: Sequence[ChatMessage], memory: Sequence[ChatMessage]
) -> list[ChatMessage]:
    """`messages` with `memory` inserted before the last user message (or, when there is
    none, after the leading system messages)."""
    users = [i for i, message in enumerate(messages) if message.role == "user"]
    if users:
        at = users[-1]
    else:
        at = next((i for i, m in enumerate(messages) if m.role != "system"), len(messages))
    return [*messages[:at], *memory, *messages[at:]]


def render_field(ctx: NodeContext, template: str, name: str) -> str:
    """Render one text field; a failure names the field."""
    try:
        return ctx.render(template)
    except TemplateError as exc:
        raise TemplateError(f"{name}: {exc}") from exc


def resolve_text(ctx: NodeContext, selector: str, name: str) -> str:
    """The value at `selector` as text (JSON for structured values); names the field if absent."""
    try:
        value = ctx.resolve(selector)
    except selectors.Missing as exc:
        raise selectors.Missing(f"{name}: {exc}") from exc
    return as_text(value)


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, default=str)


@dataclass
class Completion:
    """A whole answer collected from a stream."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None


async def complete(
    llm: LLM, request: ChatRequest, *, on_text: TextSink | None = None, separate: bool = True
) -> Completion:
    """Stream `request` and collect the answer, passing each answer delta to `on_text` as it
    arrives. With `separate`, provider reasoning and `<think>` blocks go to `reasoning` and
    are never passed on; without, provider reasoning is wrapped in `<think>` tags in the
    text, as a model that reasons inline would write it. Raises `LLMError`."""
    done = Completion()
    text: list[str] = []
    reasoning: list[str] = []
    splitter = ThinkSplitter() if separate else None
    thinking_inline = False

    async def emit(piece: str) -> None:
        if piece:
            text.append(piece)
            if on_text is not None:
                await on_text(piece)

    async for chunk in llm.stream(request):
        if chunk.reasoning:
            if splitter is not None:
                reasoning.append(chunk.reasoning)
            else:
                await emit(("" if thinking_inline else "<think>\n") + chunk.reasoning)
                thinking_inline = True
        if chunk.text:
            if thinking_inline:
                await emit("\n</think>\n\n")
                thinking_inline = False
            if splitter is None:
                await emit(chunk.text)
            else:
                split = splitter.feed(chunk.text)
                reasoning.append(split.reasoning)
                await emit(split.answer)
        done.tool_calls.extend(chunk.tool_calls)
        if chunk.usage is not None:
            done.usage = chunk.usage
        if chunk.finish_reason:
            done.finish_reason = chunk.finish_reason
    if splitter is not None:
        split = splitter.flush()
        reasoning.append(split.reasoning)
        await emit(split.answer)
    elif thinking_inline:
        await emit("\n</think>\n\n")
    done.text = "".join(text)
    done.reasoning = "".join(reasoning).strip()
    return done


_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)
_MAX_EMBEDDED_STARTS = 20


def parse_json(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a ``` fenced block, or the
    first object or array embedded in prose. Raises ValueError saying why not."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("the answer is empty")
    candidates = [stripped]
    if fence := _FENCE.search(stripped):
        candidates.insert(0, fence.group(1).strip())
    error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = error or exc
    decoder = json.JSONDecoder()
    starts = [i for i, char in enumerate(stripped) if char in "{["][:_MAX_EMBEDDED_STARTS]
    for start in starts:
        try:
            return decoder.raw_decode(stripped, start)[0]
        except json.JSONDecodeError:
            continue
    raise ValueError(f"the answer is not valid JSON ({error})")


def add_usage(total: Usage | None, more: Usage | None) -> Usage | None:
    if total is None or more is None:
        return total or more
    return Usage(
        prompt_tokens=total.prompt_tokens + more.prompt_tokens,
        completion_tokens=total.completion_tokens + more.completion_tokens,
    )


def usage_output(usage: Usage | None) -> dict[str, int]:
    """Usage as a node output: `{prompt_tokens, completion_tokens, total_tokens}`."""
    usage = usage or Usage()
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def message_data(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Messages as plain data for `process_data` (the run detail shows what was sent)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            item["tool_calls"] = [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls
            ]
        if message.tool_call_id is not None:
            item["tool_call_id"] = message.tool_call_id
        out.append(item)
    return out

"""Anthropic's Messages API: `/v1/messages` (SSE stream) and `/v1/models`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import msgspec

from flowstead.engine.ports import ChatChunk, ChatMessage, ChatRequest, ToolCall, Usage
from flowstead.providers.framing import StreamFailure, decode_chunk, end_of_stream
from flowstead.providers.transport import Transport
from flowstead.providers.wire import arguments_object

API_VERSION = "2023-06-01"
# The API requires max_tokens; this applies when the request leaves it unset.
DEFAULT_MAX_TOKENS = 4096
# Finish reasons in the OpenAI vocabulary, which the other adapters use as well.
_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}


def auth_headers(key: str | None) -> dict[str, str]:
    """`x-api-key` when a key is configured, and the API version every request needs."""
    headers = {"anthropic-version": API_VERSION}
    if key:
        headers["x-api-key"] = key
    return headers


class AnthropicProvider:
    """Talks to the Messages API at `base_url` (e.g. `https://api.anthropic.com`)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        return self._transport.stream_chat(
            "/v1/messages",
            chat_payload(request),
            model=request.model,
            parser=ChatStreamParser(),
            framing="sse",
        )

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        raise self._transport.error(model, "Anthropic offers no embeddings API")

    async def list_models(self) -> list[str]:
        models: list[str] = []
        params = {"limit": "1000"}
        while True:
            page = await self._transport.request_json(
                "GET", "/v1/models", model="model list", params=params
            )
            try:
                models += [str(row["id"]) for row in page["data"]]
                if not page.get("has_more") or not page.get("last_id"):
                    return models
                params = {"limit": "1000", "after_id": str(page["last_id"])}
            except (KeyError, TypeError) as exc:
                raise self._transport.error("model list", f"unexpected response: {exc!r}") from exc


def chat_payload(request: ChatRequest) -> dict[str, Any]:
    """The `/v1/messages` body: system messages become the top-level `system` prompt.

    `json_schema` is not sent (the LLM node validates the answer); `request.extra`
    (e.g. `thinking`, `metadata`) is merged last."""
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": [_message(m) for m in request.messages if m.role != "system"],
        "stream": True,
    }
    if system:
        body["system"] = system
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
    if request.tool_choice:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    body.update(request.extra)
    return body


def _message(message: ChatMessage) -> dict[str, Any]:
    # Tool results travel in a user turn; the API joins consecutive turns of one role.
    if message.role == "tool":
        result = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id or "",
            "content": message.content,
        }
        return {"role": "user", "content": [result]}
    if not message.tool_calls:
        return {"role": message.role, "content": message.content}
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": arguments_object(c.arguments)}
        for c in message.tool_calls
    ]
    return {"role": message.role, "content": blocks}


def _tool_choice(choice: str) -> dict[str, Any]:
    if choice in ("auto", "none"):
        return {"type": choice}
    if choice in ("required", "any"):
        return {"type": "any"}
    return {"type": "tool", "name": choice}


class ChatStreamParser:
    """Turns Messages API events into ChatChunks; tool_use blocks become whole ToolCalls."""

    def __init__(self) -> None:
        self._blocks: dict[int, dict[str, Any]] = {}
        self._input_tokens = 0
        self._output_tokens = 0
        self._stop_reason: str | None = None
        self._done = False

    def feed(self, event: str, data: str) -> Iterable[ChatChunk]:
        if self._done:
            return ()
        payload = decode_chunk(data)
        kind = payload.get("type") or event
        if kind == "message_start":
            self._start((payload.get("message") or {}).get("usage") or {})
        elif kind == "content_block_start":
            block = dict(payload.get("content_block") or {})
            block["partial_json"] = ""
            self._blocks[int(payload.get("index", len(self._blocks)))] = block
        elif kind == "content_block_delta":
            return self._delta(int(payload.get("index", 0)), payload.get("delta") or {})
        elif kind == "message_delta":
            self._stop_reason = (payload.get("delta") or {}).get("stop_reason") or self._stop_reason
            usage = payload.get("usage") or {}
            self._output_tokens = int(usage.get("output_tokens") or self._output_tokens)
        elif kind == "message_stop":
            self._done = True
            return [self._final()]
        elif kind == "error":
            error = payload.get("error") or {}
            raise StreamFailure(
                f"server error mid-stream: {error.get('type', 'error')}: {error.get('message', '')}"
            )
        return ()

    def end(self) -> Iterable[ChatChunk]:
        if not self._done:
            raise end_of_stream()
        return ()

    def _start(self, usage: dict[str, Any]) -> None:
        self._input_tokens = sum(
            int(usage.get(key) or 0)
            for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        self._output_tokens = int(usage.get("output_tokens") or 0)

    def _delta(self, index: int, delta: dict[str, Any]) -> list[ChatChunk]:
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            return [ChatChunk(text=delta["text"])]
        if kind == "thinking_delta" and delta.get("thinking"):
            return [ChatChunk(reasoning=delta["thinking"])]
        if kind == "input_json_delta":
            self._blocks.setdefault(index, {"partial_json": ""})["partial_json"] += delta.get(
                "partial_json", ""
            )
        return []

    def _final(self) -> ChatChunk:
        calls = tuple(
            ToolCall(
                id=block.get("id", ""),
                name=block.get("name", ""),
                arguments=block["partial_json"]
                or msgspec.json.encode(block.get("input") or {}).decode(),
            )
            for _, block in sorted(self._blocks.items())
            if block.get("type") == "tool_use"
        )
        reason = self._stop_reason or "end_turn"
        return ChatChunk(
            tool_calls=calls,
            usage=Usage(prompt_tokens=self._input_tokens, completion_tokens=self._output_tokens),
            finish_reason="tool_calls"
            if reason == "tool_use"
            else _STOP_REASONS.get(reason, reason),
        )

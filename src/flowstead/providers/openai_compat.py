"""OpenAI-compatible chat completions: OpenAI, vLLM, LM Studio, llama.cpp, DeepSeek, Ollama /v1."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from typing import Any

from flowstead.engine.ports import ChatChunk, ChatMessage, ChatRequest, ToolCall, Usage
from flowstead.providers.framing import StreamFailure, decode_chunk, end_of_stream
from flowstead.providers.transport import Transport
from flowstead.providers.wire import function_tools


class OpenAICompatProvider:
    """Talks to `{base_url}/chat/completions`, `/embeddings` and `/models`."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        return self._transport.stream_chat(
            "/chat/completions",
            chat_payload(request),
            model=request.model,
            parser=ChatStreamParser(),
            framing="sse",
        )

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        body = await self._transport.request_json(
            "POST",
            "/embeddings",
            model=model,
            json={"model": model, "input": texts, "encoding_format": "float"},
        )
        try:
            rows = sorted(body["data"], key=lambda row: row["index"])
            return [[float(x) for x in row["embedding"]] for row in rows]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._transport.error(model, f"unexpected embeddings response: {exc!r}") from exc

    async def list_models(self) -> list[str]:
        body = await self._transport.request_json("GET", "/models", model="model list")
        try:
            return [str(row["id"]) for row in body["data"]]
        except (KeyError, TypeError) as exc:
            raise self._transport.error("model list", f"unexpected response: {exc!r}") from exc


def chat_payload(request: ChatRequest) -> dict[str, Any]:
    """The request body for a streamed chat completion; `request.extra` is merged last."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_message(m) for m in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.stop:
        body["stop"] = list(request.stop)
    if request.tools:
        body["tools"] = function_tools(request.tools)
    if request.tool_choice:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.json_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": _schema_name(request.json_schema),
                "schema": request.json_schema,
            },
        }
    body.update(request.extra)
    return body


def _message(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["content"] = message.content or None
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def _tool_choice(choice: str) -> str | dict[str, Any]:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _schema_name(schema: dict[str, Any]) -> str:
    title = re.sub(r"[^a-zA-Z0-9_-]", "_", str(schema.get("title", "")))[:64]
    return title or "output"


class ChatStreamParser:
    """Turns `chat.completion.chunk` events into ChatChunks.

    Text and reasoning are passed on as they arrive; tool-call fragments, the finish reason
    and usage (sent after the finish reason with `include_usage`) go out in one last chunk.
    """

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, str]] = {}
        self._finish: str | None = None
        self._usage: Usage | None = None
        self._done = False

    def feed(self, event: str, data: str) -> Iterable[ChatChunk]:
        if self._done:
            return ()
        if data.strip() == "[DONE]":
            return self._close()
        chunk = decode_chunk(data)
        if "error" in chunk:
            raise StreamFailure(f"server error mid-stream: {chunk['error']}")
        if isinstance(usage := chunk.get("usage"), dict):
            self._usage = Usage(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
            )
        out: list[ChatChunk] = []
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content") or ""
            reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
            if text or reasoning:
                out.append(ChatChunk(text=text, reasoning=reasoning))
            for fragment in delta.get("tool_calls") or ():
                self._add_fragment(fragment)
            self._finish = choice.get("finish_reason") or self._finish
        return out

    def end(self) -> Iterable[ChatChunk]:
        if self._done:
            return ()
        if self._finish is None:
            raise end_of_stream()
        return self._close()

    def _add_fragment(self, fragment: dict[str, Any]) -> None:
        index = int(fragment.get("index", len(self._calls)))
        call = self._calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
        function = fragment.get("function") or {}
        call["id"] = call["id"] or fragment.get("id") or ""
        call["name"] = call["name"] or function.get("name") or ""
        call["arguments"] += function.get("arguments") or ""

    def _close(self) -> list[ChatChunk]:
        self._done = True
        calls = tuple(
            ToolCall(id=c["id"] or f"call_{i}", name=c["name"], arguments=c["arguments"] or "{}")
            for i, c in sorted(self._calls.items())
        )
        finish = self._finish or ("tool_calls" if calls else "stop")
        return [ChatChunk(tool_calls=calls, usage=self._usage, finish_reason=finish)]

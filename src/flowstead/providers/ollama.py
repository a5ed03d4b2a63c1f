"""Ollama's native API: `/api/chat` (NDJSON stream), `/api/embed` and `/api/tags`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import msgspec

from flowstead.engine.ports import ChatChunk, ChatMessage, ChatRequest, ToolCall, Usage
from flowstead.providers.framing import StreamFailure, decode_chunk, end_of_stream
from flowstead.providers.transport import Transport
from flowstead.providers.wire import arguments_object, function_tools


class OllamaProvider:
    """Talks to an Ollama server at `base_url` (e.g. `http://localhost:11434`)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        return self._transport.stream_chat(
            "/api/chat",
            chat_payload(request),
            model=request.model,
            parser=ChatStreamParser(),
            framing="ndjson",
        )

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        body = await self._transport.request_json(
            "POST", "/api/embed", model=model, json={"model": model, "input": texts}
        )
        try:
            return [[float(x) for x in row] for row in body["embeddings"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._transport.error(model, f"unexpected embeddings response: {exc!r}") from exc

    async def list_models(self) -> list[str]:
        body = await self._transport.request_json("GET", "/api/tags", model="model list")
        try:
            return [str(row.get("name") or row["model"]) for row in body["models"]]
        except (KeyError, TypeError, AttributeError) as exc:
            raise self._transport.error("model list", f"unexpected response: {exc!r}") from exc


def chat_payload(request: ChatRequest) -> dict[str, Any]:
    """The `/api/chat` body; `request.extra` (e.g. `keep_alive`, `think`) is merged last."""
    options: dict[str, Any] = {}
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if request.top_p is not None:
        options["top_p"] = request.top_p
    if request.max_tokens is not None:
        options["num_predict"] = request.max_tokens
    if request.stop:
        options["stop"] = list(request.stop)
    body: dict[str, Any] = {
        "model": request.model,
        "messages": _messages(request.messages),
        "stream": True,
    }
    if options:
        body["options"] = options
    if request.tools:
        body["tools"] = function_tools(request.tools)
    if request.json_schema is not None:
        body["format"] = request.json_schema
    body.update(request.extra)
    return body


def _messages(messages: Iterable[ChatMessage]) -> list[dict[str, Any]]:
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            names.update((c.id, c.name) for c in m.tool_calls)
            item["tool_calls"] = [
                {"function": {"name": c.name, "arguments": arguments_object(c.arguments)}}
                for c in m.tool_calls
            ]
        if m.tool_call_id is not None and m.tool_call_id in names:
            item["tool_name"] = names[m.tool_call_id]
        out.append(item)
    return out


class ChatStreamParser:
    """Turns `/api/chat` NDJSON lines into ChatChunks; the `done` line carries token counts."""

    def __init__(self) -> None:
        self._calls: list[ToolCall] = []
        self._done = False

    def feed(self, event: str, data: str) -> Iterable[ChatChunk]:
        if self._done:
            return ()
        line = decode_chunk(data)
        if "error" in line:
            raise StreamFailure(f"server error mid-stream: {line['error']}")
        message = line.get("message") or {}
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            arguments = function.get("arguments") or {}
            if not isinstance(arguments, str):
                arguments = msgspec.json.encode(arguments).decode()
            self._calls.append(
                ToolCall(
                    id=call.get("id") or f"call_{len(self._calls)}",
                    name=function.get("name", ""),
                    arguments=arguments,
                )
            )
        out: list[ChatChunk] = []
        text, reasoning = message.get("content") or "", message.get("thinking") or ""
        if text or reasoning:
            out.append(ChatChunk(text=text, reasoning=reasoning))
        if line.get("done"):
            self._done = True
            out.append(
                ChatChunk(
                    tool_calls=tuple(self._calls),
                    usage=Usage(
                        prompt_tokens=int(line.get("prompt_eval_count") or 0),
                        completion_tokens=int(line.get("eval_count") or 0),
                    ),
                    finish_reason="tool_calls"
                    if self._calls
                    else line.get("done_reason") or "stop",
                )
            )
        return out

    def end(self) -> Iterable[ChatChunk]:
        if not self._done:
            raise end_of_stream()
        return ()

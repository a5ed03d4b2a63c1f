"""Ollama's native formats: `/api/chat` NDJSON, `/api/embed`, `/api/tags`."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.base import Exchange, RecordedRequest
from tests.fakes.chat import embedding_inputs, fake_embedding
from tests.fakes.script import ErrorStatus, FakeToolCall, Reply


class OllamaWire:
    content_type = "application/x-ndjson"
    malformed = b'{"message": {"role": "assistant", "content": "oops"\n'

    def wants_stream(self, request: RecordedRequest) -> bool:
        return bool((request.json or {}).get("stream", True))  # Ollama streams by default

    def frames(self, reply: Reply, request: RecordedRequest) -> list[bytes]:
        base = _base(request)

        def line(message: dict[str, Any]) -> bytes:
            value = {**base, "message": {"role": "assistant", "content": "", **message}}
            return json.dumps({**value, "done": False}).encode() + b"\n"

        out = [line({"thinking": piece}) for piece in reply.reasoning_chunks()]
        out += [line({"content": piece}) for piece in reply.text_chunks()]
        if reply.tool_calls:
            out.append(line({"tool_calls": [_tool_call(call) for call in reply.tool_calls]}))
        final = {**base, "message": {"role": "assistant", "content": ""}, **_done(reply, request)}
        out.append(json.dumps(final).encode() + b"\n")
        return out

    def complete(self, reply: Reply, request: RecordedRequest) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.text_chunks())}
        if reply.reasoning:
            message["thinking"] = "".join(reply.reasoning_chunks())
        if reply.tool_calls:
            message["tool_calls"] = [_tool_call(call) for call in reply.tool_calls]
        return {**_base(request), "message": message, **_done(reply, request)}

    def error_body(self, error: ErrorStatus) -> dict[str, Any]:
        return {"error": error.message}


def answer_embed(exchange: Exchange, dimensions: int) -> None:
    body = exchange.request.json or {}
    texts = embedding_inputs(body)
    exchange.send_json(
        200,
        {
            "model": body.get("model"),
            "embeddings": [fake_embedding(text, dimensions) for text in texts],
            "total_duration": 1000,
            "load_duration": 100,
            "prompt_eval_count": sum(len(text.split()) for text in texts),
        },
    )


def answer_tags(exchange: Exchange, models: list[str]) -> None:
    details = {
        "format": "gguf",
        "family": "llama",
        "parameter_size": "1B",
        "quantization_level": "Q4_K_M",
    }
    tags = [
        {
            "name": name,
            "model": name,
            "modified_at": "2025-01-01T00:00:00Z",
            "size": 1_000_000,
            "digest": f"{index:064x}",
            "details": details,
        }
        for index, name in enumerate(models)
    ]
    exchange.send_json(200, {"models": tags})


def _base(request: RecordedRequest) -> dict[str, Any]:
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"model": (request.json or {}).get("model", ""), "created_at": created}


def _tool_call(call: FakeToolCall) -> dict[str, Any]:
    value: dict[str, Any] = {"function": {"name": call.name, "arguments": call.arguments}}
    if call.id:
        value["id"] = call.id
    return value


def _done(reply: Reply, request: RecordedRequest) -> dict[str, Any]:
    prompt, completion = reply.usage(request)
    return {
        "done": True,
        "done_reason": reply.finish_reason or "stop",
        "total_duration": 1_000_000,
        "load_duration": 1000,
        "prompt_eval_count": prompt,
        "prompt_eval_duration": 1000,
        "eval_count": completion,
        "eval_duration": 1000,
    }

"""The OpenAI chat completions, embeddings and models formats."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.base import Exchange, RecordedRequest
from tests.fakes.chat import embedding_inputs, fake_embedding, pieces, sse
from tests.fakes.script import ErrorStatus, Reply

_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_api_key", 404: "not_found_error"}


class OpenAIWire:
    content_type = "text/event-stream"
    malformed = b'data: {"choices": [{"delta": {"content": "oops"\n\n'

    def wants_stream(self, request: RecordedRequest) -> bool:
        return bool((request.json or {}).get("stream", False))

    def frames(self, reply: Reply, request: RecordedRequest) -> list[bytes]:
        base = _base(request, "chat.completion.chunk")

        def delta(values: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": values, "logprobs": None, "finish_reason": finish}
            return sse({**base, "choices": [choice]})

        out = [delta({"role": "assistant", "content": ""})]
        out += [delta({"reasoning_content": piece}) for piece in reply.reasoning_chunks()]
        out += [delta({"content": piece}) for piece in reply.text_chunks()]
        for index, call in enumerate(reply.tool_calls):
            start = {"name": call.name, "arguments": ""}
            call_id = call.id or f"call_{index}"
            out.append(
                delta(
                    {
                        "tool_calls": [
                            {"index": index, "id": call_id, "type": "function", "function": start}
                        ]
                    }
                )
            )
            out += [
                delta({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
                for part in pieces(json.dumps(call.arguments))
            ]
        out.append(delta({}, _finish(reply)))
        if ((request.json or {}).get("stream_options") or {}).get("include_usage"):
            out.append(sse({**base, "choices": [], "usage": _usage(reply, request)}))
        out.append(b"data: [DONE]\n\n")
        return out

    def complete(self, reply: Reply, request: RecordedRequest) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.text_chunks())}
        if reply.reasoning:
            message["reasoning_content"] = "".join(reply.reasoning_chunks())
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id or f"call_{index}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for index, call in enumerate(reply.tool_calls)
            ]
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(reply)}
        return {
            **_base(request, "chat.completion"),
            "choices": [choice],
            "usage": _usage(reply, request),
        }

    def error_body(self, error: ErrorStatus) -> dict[str, Any]:
        kind = _ERROR_TYPES.get(
            error.status, "rate_limit_error" if error.status == 429 else "server_error"
        )
        return {"error": {"message": error.message, "type": kind, "param": None, "code": None}}


def answer_embeddings(exchange: Exchange, dimensions: int) -> None:
    body = exchange.request.json or {}
    dimensions = int(body.get("dimensions") or dimensions)
    texts = embedding_inputs(body)
    data = [
        {"object": "embedding", "index": index, "embedding": fake_embedding(text, dimensions)}
        for index, text in enumerate(texts)
    ]
    tokens = sum(len(text.split()) for text in texts)
    exchange.send_json(
        200,
        {
            "object": "list",
            "data": data,
            "model": body.get("model"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
    )


def answer_models(exchange: Exchange, models: list[str]) -> None:
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in models]
    exchange.send_json(200, {"object": "list", "data": data})


def _base(request: RecordedRequest, kind: str) -> dict[str, Any]:
    model = (request.json or {}).get("model", "")
    return {"id": "chatcmpl-fake", "object": kind, "created": int(time.time()), "model": model}


def _finish(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _usage(reply: Reply, request: RecordedRequest) -> dict[str, int]:
    prompt, completion = reply.usage(request)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }

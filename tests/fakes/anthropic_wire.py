"""Anthropic's Messages API formats: `/v1/messages` (SSE) and `/v1/models`."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.base import Exchange, RecordedRequest
from tests.fakes.chat import pieces, sse
from tests.fakes.script import ErrorStatus, Reply

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class AnthropicWire:
    content_type = "text/event-stream"
    malformed = b'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'

    def wants_stream(self, request: RecordedRequest) -> bool:
        return bool((request.json or {}).get("stream", False))

    def frames(self, reply: Reply, request: RecordedRequest) -> list[bytes]:
        prompt, completion = reply.usage(request)
        message = {**_message(reply, request, []), "stop_reason": None}
        message["usage"] = {"input_tokens": prompt, "output_tokens": 1}
        out = [event("message_start", message=message), event("ping")]
        index = 0
        if reply.reasoning:
            deltas = [{"type": "thinking_delta", "thinking": p} for p in reply.reasoning_chunks()]
            deltas.append({"type": "signature_delta", "signature": "fake-signature"})
            out += _block(index, {"type": "thinking", "thinking": ""}, deltas)
            index += 1
        if reply.text:
            deltas = [{"type": "text_delta", "text": piece} for piece in reply.text_chunks()]
            out += _block(index, {"type": "text", "text": ""}, deltas)
            index += 1
        for number, call in enumerate(reply.tool_calls):
            start = {
                "type": "tool_use",
                "id": _tool_id(call.id, number),
                "name": call.name,
                "input": {},
            }
            deltas = [
                {"type": "input_json_delta", "partial_json": part}
                for part in pieces(json.dumps(call.arguments))
            ]
            out += _block(index, start, deltas)
            index += 1
        stop = {"stop_reason": _stop_reason(reply), "stop_sequence": None}
        out.append(event("message_delta", delta=stop, usage={"output_tokens": completion}))
        out.append(event("message_stop"))
        return out

    def complete(self, reply: Reply, request: RecordedRequest) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.reasoning:
            thinking = "".join(reply.reasoning_chunks())
            content.append(
                {"type": "thinking", "thinking": thinking, "signature": "fake-signature"}
            )
        if reply.text:
            content.append({"type": "text", "text": "".join(reply.text_chunks())})
        content += [
            {
                "type": "tool_use",
                "id": _tool_id(call.id, n),
                "name": call.name,
                "input": call.arguments,
            }
            for n, call in enumerate(reply.tool_calls)
        ]
        prompt, completion = reply.usage(request)
        return {
            **_message(reply, request, content),
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        }

    def error_body(self, error: ErrorStatus) -> dict[str, Any]:
        kind = _ERROR_TYPES.get(error.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": error.message}}


def answer_models(exchange: Exchange, models: list[str]) -> None:
    data = [
        {"type": "model", "id": name, "display_name": name, "created_at": "2025-01-01T00:00:00Z"}
        for name in models
    ]
    first, last = (models[0], models[-1]) if models else (None, None)
    exchange.send_json(200, {"data": data, "has_more": False, "first_id": first, "last_id": last})


def event(kind: str, **fields: Any) -> bytes:
    return sse({"type": kind, **fields}, event=kind)


def _block(index: int, start: dict[str, Any], deltas: list[dict[str, Any]]) -> list[bytes]:
    out = [event("content_block_start", index=index, content_block=start)]
    out += [event("content_block_delta", index=index, delta=delta) for delta in deltas]
    out.append(event("content_block_stop", index=index))
    return out


def _message(
    reply: Reply, request: RecordedRequest, content: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": (request.json or {}).get("model", ""),
        "content": content,
        "stop_reason": _stop_reason(reply),
        "stop_sequence": None,
    }


def _stop_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_use" if reply.tool_calls else "end_turn")


def _tool_id(given: str | None, number: int) -> str:
    return given or f"toolu_fake_{number}"

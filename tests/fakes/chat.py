"""Answering a chat request in any wire format, with latency, pacing and faults applied."""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import Any, Protocol

from tests.fakes.base import Exchange, RecordedRequest
from tests.fakes.script import Cut, ErrorStatus, Hang, Malformed, Reply


class Wire(Protocol):
    """One provider's formats for a chat answer."""

    content_type: str
    malformed: bytes

    def wants_stream(self, request: RecordedRequest) -> bool: ...

    def frames(self, reply: Reply, request: RecordedRequest) -> list[bytes]:
        """The streamed answer, one SSE event or NDJSON line per frame."""
        ...

    def complete(self, reply: Reply, request: RecordedRequest) -> dict[str, Any]:
        """The whole answer as one JSON body (for `stream: false`)."""
        ...

    def error_body(self, error: ErrorStatus) -> dict[str, Any]: ...


class Pace(Protocol):
    latency: float
    rate: float | None


def answer_chat(exchange: Exchange, wire: Wire, answer: Reply | ErrorStatus, pace: Pace) -> None:
    """Send `answer`: wait `latency` for the first byte, then a frame per 1/`rate` seconds."""
    if not exchange.pause(pace.latency):
        return exchange.drop()
    if isinstance(answer, ErrorStatus):
        headers = {}
        if answer.retry_after is not None:
            headers["Retry-After"] = f"{answer.retry_after:g}"
        return exchange.send_json(answer.status, wire.error_body(answer), headers)
    fault = answer.fault
    if isinstance(fault, Hang) and fault.after == 0:
        exchange.pause(fault.seconds)
        return exchange.drop()
    if not wire.wants_stream(exchange.request):
        return exchange.send_json(200, wire.complete(answer, exchange.request))
    exchange.start_stream(wire.content_type)
    gap = 1 / pace.rate if pace.rate else 0.0
    for index, frame in enumerate(wire.frames(answer, exchange.request)):
        if fault is not None and index == fault.after:
            if isinstance(fault, Cut):
                return exchange.end_stream() if fault.clean else exchange.drop()
            if isinstance(fault, Malformed):
                exchange.write(wire.malformed)
            if isinstance(fault, Hang) and not exchange.pause(fault.seconds):
                return exchange.drop()
        if index and not exchange.pause(gap):
            return exchange.drop()
        exchange.write(frame)
    exchange.end_stream()


def sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def pieces(text: str, count: int = 3) -> list[str]:
    """`text` split into about `count` fragments (streamed tool-call arguments)."""
    size = max(1, math.ceil(len(text) / count))
    return [text[i : i + size] for i in range(0, len(text), size)]


def fake_embedding(text: str, dimensions: int = 16) -> list[float]:
    """A deterministic unit vector seeded by the text's SHA-256 (same in every process)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    vector = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def embedding_inputs(body: Any) -> list[str]:
    """The `input` of an embeddings request (a string or a list of strings)."""
    value = body.get("input") if isinstance(body, dict) else None
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value or []]

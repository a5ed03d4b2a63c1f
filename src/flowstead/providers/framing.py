"""Splitting streamed response bodies into events: server-sent events and NDJSON."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

import msgspec

from flowstead.engine.ports import ChatChunk


class StreamFailure(Exception):
    """The stream broke its protocol (malformed or missing chunks) or reported an error."""


class StreamParser(Protocol):
    """Turns one provider's stream events into ChatChunks."""

    def feed(self, event: str, data: str) -> Iterable[ChatChunk]:
        """Handle one event (`event` is "" for unnamed SSE events and NDJSON lines)."""
        ...

    def end(self) -> Iterable[ChatChunk]:
        """The body ended: return the closing chunks, or raise if the stream was incomplete."""
        ...


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """Yield (event name, data) per server-sent event; an unterminated last event is dropped."""
    event = ""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "", []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value


async def ndjson_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """Yield ("", line) for each non-empty line of a newline-delimited JSON body."""
    async for line in lines:
        if line.strip():
            yield "", line


def decode_chunk(data: str) -> dict[str, Any]:
    """Parse one chunk's JSON object, or raise StreamFailure naming the bad chunk."""
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict):
        raise StreamFailure(f"malformed chunk: {data[:200]!r}")
    return value


def end_of_stream() -> StreamFailure:
    return StreamFailure("stream ended before completion")

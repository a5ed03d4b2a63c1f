"""Server-sent events: keep-alive pings between items, and the two wire formats.

`/api/*` streams carry `id:` (the event's sequence number) and `event:` lines, so a
browser's EventSource resumes with `Last-Event-ID`. `/v1/*` streams are Dify's: one
`data: {json}` line per event with the event name inside the JSON, and `event: ping`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Final, TypeVar

import msgspec
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

T = TypeVar("T")

PING_SECONDS: Final = 10.0
LF: Final = "\n"
_END: Final = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


async def with_pings(items: AsyncIterator[T], interval: float) -> AsyncIterator[T | None]:
    """Each item as it comes, and None whenever `interval` seconds pass without one.

    The source is read by its own task, so waiting for a ping never cancels it mid-item."""
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for item in items:
                queue.put_nowait(item)
        except Exception as exc:  # handed to the reader, who raises it in its own task
            queue.put_nowait(_Failed(exc))
        finally:
            queue.put_nowait(_END)

    task = asyncio.create_task(pump())
    try:
        while True:
            try:
                async with asyncio.timeout(interval):
                    item = await queue.get()
            except TimeoutError:
                yield None
                continue
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def data_message(payload: dict[str, Any]) -> ServerSentEventMessage:
    """`data: {json}\\n\\n`, as Dify writes it."""
    return ServerSentEventMessage(data=msgspec.json.encode(payload), sep=LF)


def ping_message() -> ServerSentEventMessage:
    return ServerSentEventMessage(event="ping", data=None, sep=LF)


def event_message(seq: int, event: str, payload: dict[str, Any]) -> ServerSentEventMessage:
    return ServerSentEventMessage(id=seq, event=event, data=msgspec.json.encode(payload), sep=LF)


def comment_ping() -> ServerSentEventMessage:
    return ServerSentEventMessage(comment="ping", data=None, sep=LF)


def stream(messages: AsyncIterator[ServerSentEventMessage]) -> ServerSentEvent:
    """An SSE response that proxies leave unbuffered."""
    return ServerSentEvent(messages, headers={"Cache-Control": "no-cache"})

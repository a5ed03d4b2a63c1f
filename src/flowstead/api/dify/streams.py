"""A run's stored events as a Dify SSE stream: each event goes out as soon as it is
stored, `event: ping` fills silences, and a failure is an `error` event on the 200."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from flowstead.api import sse
from flowstead.api.dify.shapes import StreamShaper
from flowstead.services import run_views
from flowstead.services.runs import RunService
from flowstead.store.protocol import Store
from flowstead.store.records import Run

log = logging.getLogger("flowstead.api.dify")


async def _messages(
    store: Store, runs: RunService, run: Run
) -> AsyncIterator[ServerSentEventMessage]:
    answers = await run_views.answer_nodes(store, run.id) if run.mode == "chat" else frozenset()
    shaper = StreamShaper(run, answers)
    try:
        async for event in sse.with_pings(runs.events_after(run.id), sse.PING_SECONDS):
            if event is None:
                yield sse.ping_message()
                continue
            for payload in shaper.shape(event):
                yield sse.data_message(payload)
    except Exception:
        log.exception("streaming a run failed", extra={"run_id": run.id})
        yield sse.data_message(shaper.failure("Internal server error."))
        return
    if not shaper.finished:
        yield sse.data_message(shaper.failure("The run ended without finishing."))


def run_stream(store: Store, runs: RunService, run: Run) -> ServerSentEvent:
    return sse.stream(_messages(store, runs, run))

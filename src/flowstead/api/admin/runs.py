"""`/api/runs`: list and inspect runs, follow their events, stop them, rerun from a node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from flowstead.api import sse
from flowstead.api.deps import RunsDep, StoreDep
from flowstead.api.errors import ApiError
from flowstead.services import run_views
from flowstead.services.run_views import RunDetail
from flowstead.services.runs import RunService
from flowstead.store.records import Run


class Rerun(msgspec.Struct, kw_only=True):
    node_id: str
    # Selector (`llm.text`) → a value that replaces that reused output.
    edits: dict[str, Any] = {}


class Stopped(msgspec.Struct):
    run_id: str
    stop_requested: bool


def _last_event_id(header: str | None, after: int | None) -> int:
    if header is None:
        return after or 0
    if not header.strip().isdigit():
        raise ApiError(400, "Last-Event-ID must be an event sequence number.")
    return int(header)


async def _messages(
    runs: RunService, run_id: str, after: int
) -> AsyncIterator[ServerSentEventMessage]:
    async for event in sse.with_pings(runs.events_after(run_id, after), sse.PING_SECONDS):
        if event is None:
            yield sse.comment_ping()
        else:
            yield sse.event_message(event.seq, event.type, msgspec.to_builtins(event))


class RunController(Controller):
    path = "/runs"
    tags = ("runs",)

    @get("/", summary="Runs, newest first; filter by workflow and status")
    async def list_runs(
        self,
        store: StoreDep,
        workflow_id: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[Run]:
        return await run_views.list_runs(
            store, workflow_id=workflow_id, status=status, limit=limit, offset=offset
        )

    @get("/{run_id:str}", summary="A run with its node executions")
    async def get_run(self, run_id: FromPath[str], store: StoreDep) -> RunDetail:
        return await run_views.run_detail(store, run_id)

    @get("/{run_id:str}/events", summary="The run's events as SSE; resumes after Last-Event-ID")
    async def events(
        self,
        run_id: FromPath[str],
        store: StoreDep,
        runs: RunsDep,
        last_event_id: Annotated[str | None, HeaderParameter(name="Last-Event-ID")] = None,
        after: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> ServerSentEvent:
        await run_views.get_run(store, run_id)
        return sse.stream(_messages(runs, run_id, _last_event_id(last_event_id, after)))

    @post("/{run_id:str}/stop", status_code=202, summary="Ask a running run to stop")
    async def stop(self, run_id: FromPath[str], runs: RunsDep) -> Stopped:
        if not await runs.stop_run(run_id):
            raise ApiError(404, "Run not found.")
        return Stopped(run_id, True)

    @post("/{run_id:str}/rerun", summary="A new run that reuses outputs before a node")
    async def rerun(self, run_id: FromPath[str], data: JSONBody[Rerun], runs: RunsDep) -> Run:
        return await runs.rerun_from(run_id, data.node_id, data.edits)

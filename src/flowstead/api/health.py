"""`/health` (the process is up) and `/ready` (it can do its work); both open."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import State

from flowstead import __version__
from flowstead.api.errors import error_response
from flowstead.store.protocol import Store

DATABASE_TIMEOUT = 2.0


async def readiness(store: Store, *, migrated: bool, worker_fresh_seconds: float) -> list[str]:
    """What keeps the instance from serving runs; empty when it is ready."""
    problems: list[str] = []
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            beat = await store.workers.latest()
    except Exception as exc:  # any failure means "not ready", and says which
        return [f"database: {type(exc).__name__}: {exc}".rstrip(": ")]
    if not migrated:
        problems.append("database: migrations are not applied")
    if beat is None:
        problems.append("worker: no worker has started")
    elif time.time() - beat.beat_at > worker_fresh_seconds:
        problems.append(f"worker: last heartbeat {time.time() - beat.beat_at:.0f} s ago")
    return problems


class HealthController(Controller):
    tags = ("health",)

    @get("/health", security=[], summary="Liveness; never touches the database")
    async def health(self) -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @get("/ready", security=[], summary="Readiness: database, migrations and a live worker")
    async def ready(self, state: State) -> Response[dict[str, Any]]:
        problems = await readiness(
            state.store, migrated=state.migrated, worker_fresh_seconds=state.worker_fresh_seconds
        )
        if problems:
            return error_response(503, "; ".join(problems), problems=problems)
        return Response({"status": "ready"})

"""Runs and their per-node executions in SQLite."""

from __future__ import annotations

import asyncio
import builtins
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import aiosqlite

from flowstead.store import fresh
from flowstead.store.codec import dumps, dumps_or_none, loads, to_record
from flowstead.store.errors import NotFound
from flowstead.store.protocol import FINISHED_RUN_STATUSES, NewEvent, NodeUpdate, RunQuery
from flowstead.store.records import Job, NodeExecution, Run
from flowstead.store.sqlite.database import Database
from flowstead.store.sqlite.events import UPSERT_NODE, append_events, node_params
from flowstead.store.sqlite.jobs import COMPLETE, INSERT_JOB, job_row

# Every column but the draft snapshot, which only `document()` reads.
_RUN_COLUMNS = (
    "id, workflow_id, version, status, mode, source, user, inputs, outputs, error,"
    " conversation_id, parent_run_id, resumed_from, job_id, total_tokens, total_steps,"
    " stop_requested, created_at, started_at, finished_at, elapsed"
)
_RUN_JSON = ("inputs", "outputs")
_NODE_JSON = ("inputs", "outputs")


# The most events one transaction of `delete_finished` deletes, per run of its batch (a
# chat run logs one per streamed text chunk); a longer log is cut over several.
EVENTS_PER_RUN = 100
# Finished before the cutoff, and no job of theirs still waiting or running. The `+`
# keeps SQLite from picking runs_by_status, which would read every finished run.
_FINISHED_BEFORE = (
    "SELECT id FROM runs WHERE finished_at < ?"
    f" AND +status IN ({', '.join('?' * len(FINISHED_RUN_STATUSES))})"
    " AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.run_id = runs.id"
    " AND jobs.status IN ('queued', 'running'))"
    " ORDER BY finished_at LIMIT ?"
)
_LOG_BOUNDS = (
    "SELECT (SELECT min(seq) FROM run_events WHERE run_id = ?1),"
    " (SELECT max(seq) FROM run_events WHERE run_id = ?1)"
)


async def _delete_finished_batch(
    conn: aiosqlite.Connection, before: float, batch: int
) -> tuple[int, bool]:
    """Inside a transaction: delete up to `batch` runs finished before `before`, and up to
    `batch * EVENTS_PER_RUN` of their events. Returns the runs deleted and whether any
    were found."""
    found = await conn.execute_fetchall(_FINISHED_BEFORE, (before, *FINISHED_RUN_STATUSES, batch))
    budget, done = batch * EVENTS_PER_RUN, []
    for (run_id,) in found:
        first, last = next(iter(await conn.execute_fetchall(_LOG_BOUNDS, (run_id,))))
        if first is not None:
            # Sequence numbers are contiguous, so a window of them bounds the rows.
            upto = min(last, first + budget - 1)
            await conn.execute(
                "DELETE FROM run_events WHERE run_id = ? AND seq <= ?", (run_id, upto)
            )
            budget -= upto - first + 1
            if upto < last:
                break  # the rest of its log in the next batch
        done.append(run_id)
        if budget <= 0:
            break
    if done:
        # Node executions and jobs cascade; runs resumed from these lose the link.
        await conn.execute(f"DELETE FROM runs WHERE id IN ({', '.join('?' * len(done))})", done)
    return len(done), bool(found)


def _run(row: sqlite3.Row) -> Run:
    return to_record(Run, row, _RUN_JSON)


def _exists(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> bool:
    return bool(conn.execute(sql, params).fetchall())


def _update(
    conn: sqlite3.Connection, run_id: str, assignments: str, params: tuple[Any, ...]
) -> Run:
    rows = conn.execute(
        f"UPDATE runs SET {assignments} WHERE id = ? RETURNING {_RUN_COLUMNS}",
        (*params, run_id),
    ).fetchall()
    if not rows:
        raise NotFound("run", run_id)
    return _run(rows[0])


def _like(text: str) -> str:
    """A LIKE pattern for `text` anywhere (its own % _ and \\ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(query: RunQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of `query` and its parameters."""
    clauses: list[str] = ["1"]
    params: list[Any] = []
    if query.workflow_id is not None:
        clauses.append("workflow_id = ?")
        params.append(query.workflow_id)
    if query.statuses is not None:
        clauses.append(f"status IN ({', '.join('?' * len(query.statuses))})")
        params += query.statuses
    if query.mode is not None:
        clauses.append("mode = ?")
        params.append(query.mode)
    if query.published is not None:
        clauses.append("version IS NOT NULL" if query.published else "version IS NULL")
    if query.user is not None:
        clauses.append("user = ?")
        params.append(query.user)
    if query.created_after is not None:
        clauses.append("created_at >= ?")
        params.append(query.created_after)
    if query.created_before is not None:
        clauses.append("created_at <= ?")
        params.append(query.created_before)
    if query.keyword is not None:
        # SQLite's LIKE ignores the case of ASCII letters.
        clauses.append(
            "(inputs LIKE ? ESCAPE '\\' OR outputs LIKE ? ESCAPE '\\'"
            " OR user LIKE ? ESCAPE '\\' OR id = ?)"
        )
        params += [_like(query.keyword)] * 3 + [query.keyword]
    return " AND ".join(clauses), params


class SqliteRuns:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        workflow_id: str,
        inputs: dict[str, Any],
        version: int | None = None,
        user: str = "",
        conversation_id: str | None = None,
        source: str = "api",
        mode: str = "workflow",
        parent_run_id: str | None = None,
        resumed_from: str | None = None,
        max_attempts: int = 3,
    ) -> Run:
        run, job = fresh.run_and_job(
            workflow_id=workflow_id,
            inputs=inputs,
            version=version,
            user=user,
            conversation_id=conversation_id,
            source=source,
            mode=mode,
            parent_run_id=parent_run_id,
            resumed_from=resumed_from,
            max_attempts=max_attempts,
        )
        run_params = (
            run.id,
            workflow_id,
            version,
            mode,
            source,
            user,
            dumps(inputs),
            conversation_id,
            parent_run_id,
            resumed_from,
            run.job_id,
        )
        job_params = job_row(job)

        def create(conn: sqlite3.Connection) -> Run:
            draft = self._check_references(conn, run)
            conn.execute(
                "INSERT INTO runs (id, workflow_id, version, status, mode, source, user, inputs,"
                " conversation_id, parent_run_id, resumed_from, job_id, draft_document,"
                " created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*run_params, draft, run.created_at),
            )
            conn.execute(INSERT_JOB, job_params)
            return run

        return await self._db.run(create)

    @staticmethod
    def _check_references(conn: sqlite3.Connection, run: Run) -> str | None:
        """Raise NotFound for a missing referent; returns the draft document to snapshot."""
        draft: str | None = None
        if run.version is None:
            rows = conn.execute(
                "SELECT document FROM workflows WHERE id = ?", (run.workflow_id,)
            ).fetchall()
            if not rows:
                raise NotFound("workflow", run.workflow_id)
            draft = rows[0][0]
        elif not _exists(
            conn,
            "SELECT 1 FROM workflow_versions WHERE workflow_id = ? AND number = ?",
            (run.workflow_id, run.version),
        ):
            raise NotFound("workflow version", f"{run.workflow_id} v{run.version}")
        if run.conversation_id is not None and not _exists(
            conn,
            "SELECT 1 FROM conversations WHERE id = ? AND workflow_id = ?",
            (run.conversation_id, run.workflow_id),
        ):
            raise NotFound("conversation", run.conversation_id)
        for other in (run.parent_run_id, run.resumed_from):
            if other is not None and not _exists(conn, "SELECT 1 FROM runs WHERE id = ?", (other,)):
                raise NotFound("run", other)
        return draft

    async def get(self, run_id: str) -> Run | None:
        row = await self._db.select_one(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return None if row is None else _run(row)

    async def document(self, run_id: str) -> dict[str, Any] | None:
        row = await self._db.select_one(
            "SELECT coalesce(r.draft_document, v.document) FROM runs r"
            " LEFT JOIN workflow_versions v ON v.workflow_id = r.workflow_id"
            " AND v.number = r.version WHERE r.id = ?",
            (run_id,),
        )
        return None if row is None or row[0] is None else dict(loads(row[0]))

    async def list(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Run]:
        statuses = None if status is None else (status,)
        where, params = _where(RunQuery(workflow_id=workflow_id, statuses=statuses))
        rows = await self._db.select(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where}"
            " ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_run(row) for row in rows]

    async def page(
        self, query: RunQuery, *, limit: int = 20, offset: int = 0
    ) -> tuple[builtins.list[Run], int]:
        where, params = _where(query)
        rows = await self._db.fetch_all(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where}"
            " ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        total = await self._db.fetch_one(f"SELECT count(*) FROM runs WHERE {where}", params)
        return [_run(row) for row in rows], 0 if total is None else int(total[0])

    async def mark_running(self, run_id: str) -> Run:
        return await self._update(
            run_id,
            "status = 'running', started_at = coalesce(started_at, ?)",
            (time.time(),),
        )

    async def finish(
        self,
        run_id: str,
        *,
        status: str,
        outputs: dict[str, Any] | None = None,
        error: str | None = None,
        total_tokens: int = 0,
        total_steps: int = 0,
        events: Sequence[NewEvent] = (),
        nodes: Sequence[NodeUpdate] = (),
        done_job: Job | None = None,
    ) -> Run:
        now = time.time()
        assignments = (
            "status = ?, outputs = ?, error = ?, total_tokens = ?, total_steps = ?,"
            " finished_at = ?, elapsed = ? - coalesce(started_at, created_at)"
        )
        params = (status, dumps_or_none(outputs), error, total_tokens, total_steps, now, now)
        encoded = [(type, dumps(data)) for type, data in events]

        def finish(conn: sqlite3.Connection) -> Run:
            run = _update(conn, run_id, assignments, params)
            append_events(conn, run_id, encoded, nodes, now)
            if done_job is not None:
                conn.execute(COMPLETE, (now, now, done_job.id, done_job.worker_id)).fetchall()
            return run

        return await self._db.run(finish)

    async def _update(self, run_id: str, assignments: str, params: tuple[Any, ...]) -> Run:
        return await self._db.run(lambda conn: _update(conn, run_id, assignments, params))

    async def request_stop(self, run_id: str) -> bool:
        rows = await self._db.write(
            "UPDATE runs SET stop_requested = 1 WHERE id = ? RETURNING id", (run_id,)
        )
        return bool(rows)

    async def stop_requested(self, run_id: str) -> bool:
        row = await self._db.select_one("SELECT stop_requested FROM runs WHERE id = ?", (run_id,))
        return row is not None and bool(row[0])

    async def delete_finished(self, before: float, *, batch: int = 50) -> int:
        removed = 0
        while True:
            # An interactive transaction in the driver thread: a bulk write.
            async with self._db.transaction() as conn:
                deleted, found = await _delete_finished_batch(conn, before, batch)
            removed += deleted
            if not found:
                return removed
            await asyncio.sleep(0)  # let the writes queued meanwhile go first


class SqliteNodeExecutions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        *,
        run_id: str,
        node_id: str,
        status: str,
        index: int = 0,
        node_type: str = "",
        title: str = "",
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        error: str | None = None,
        started_at: float | None = None,
        finished_at: float | None = None,
        tokens: int = 0,
        attempt: int = 1,
    ) -> NodeExecution:
        node = NodeUpdate(
            node_id=node_id,
            status=status,
            index=index,
            node_type=node_type,
            title=title,
            inputs=inputs,
            outputs=outputs,
            error=error,
            started_at=started_at,
            finished_at=finished_at,
            tokens=tokens,
            attempt=attempt,
        )

        def record(conn: sqlite3.Connection) -> NodeExecution:
            try:
                rows = conn.execute(
                    f"{UPSERT_NODE} RETURNING *", node_params(run_id, node)
                ).fetchall()
            except sqlite3.IntegrityError as exc:
                raise NotFound("run", run_id) from exc
            return to_record(NodeExecution, rows[0], _NODE_JSON)

        return await self._db.run(record)

    async def list_for_run(self, run_id: str) -> builtins.list[NodeExecution]:
        rows = await self._db.select(
            "SELECT * FROM node_executions WHERE run_id = ? ORDER BY rowid", (run_id,)
        )
        return [to_record(NodeExecution, row, _NODE_JSON) for row in rows]

    async def finished_outputs(self, run_id: str) -> dict[str, dict[str, Any]]:
        rows = await self._db.select(
            "SELECT node_id, outputs FROM node_executions"
            " WHERE run_id = ? AND \"index\" = 0 AND status = 'succeeded'",
            (run_id,),
        )
        return {row[0]: {} if row[1] is None else dict(loads(row[1])) for row in rows}

"""Runs and their per-node executions in SQLite."""

from __future__ import annotations

import builtins
import sqlite3
import time
import uuid
from typing import Any

import aiosqlite

from flowstead.store.codec import dumps, loads, to_record
from flowstead.store.errors import NotFound
from flowstead.store.protocol import RUN_JOB_KIND
from flowstead.store.records import NodeExecution, Run
from flowstead.store.sqlite.database import Database
from flowstead.store.sqlite.jobs import INSERT_JOB, queued_job

# Every column but the draft snapshot, which only `document()` reads.
_RUN_COLUMNS = (
    "id, workflow_id, version, status, mode, source, user, inputs, outputs, error,"
    " conversation_id, parent_run_id, resumed_from, job_id, total_tokens, total_steps,"
    " stop_requested, created_at, started_at, finished_at, elapsed"
)
_RUN_JSON = ("inputs", "outputs")
_NODE_JSON = ("inputs", "outputs")


def _run(row: sqlite3.Row) -> Run:
    return to_record(Run, row, _RUN_JSON)


def _json_or_null(value: Any) -> str | None:
    return None if value is None else dumps(value)


async def _exists(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> bool:
    return bool(await conn.execute_fetchall(sql, params))


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
        run_id = str(uuid.uuid4())
        job, job_params = queued_job(
            kind=RUN_JOB_KIND,
            payload={"run_id": run_id},
            run_at=None,
            max_attempts=max_attempts,
            run_id=run_id,
        )
        run = Run(
            id=run_id,
            workflow_id=workflow_id,
            version=version,
            status="queued",
            mode=mode,
            source=source,
            user=user,
            inputs=inputs,
            conversation_id=conversation_id,
            parent_run_id=parent_run_id,
            resumed_from=resumed_from,
            job_id=job.id,
            created_at=job.created_at,
        )
        async with self._db.transaction() as conn:
            draft = await self._check_references(conn, run)
            await conn.execute(
                "INSERT INTO runs (id, workflow_id, version, status, mode, source, user, inputs,"
                " conversation_id, parent_run_id, resumed_from, job_id, draft_document,"
                " created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
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
                    draft,
                    run.created_at,
                ),
            )
            await conn.execute(INSERT_JOB, job_params)
        return run

    @staticmethod
    async def _check_references(conn: aiosqlite.Connection, run: Run) -> str | None:
        """Raise NotFound for a missing referent; returns the draft document to snapshot."""
        draft: str | None = None
        if run.version is None:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT document FROM workflows WHERE id = ?", (run.workflow_id,)
                )
            )
            if not rows:
                raise NotFound("workflow", run.workflow_id)
            draft = rows[0][0]
        elif not await _exists(
            conn,
            "SELECT 1 FROM workflow_versions WHERE workflow_id = ? AND number = ?",
            (run.workflow_id, run.version),
        ):
            raise NotFound("workflow version", f"{run.workflow_id} v{run.version}")
        if run.conversation_id is not None and not await _exists(
            conn,
            "SELECT 1 FROM conversations WHERE id = ? AND workflow_id = ?",
            (run.conversation_id, run.workflow_id),
        ):
            raise NotFound("conversation", run.conversation_id)
        for other in (run.parent_run_id, run.resumed_from):
            if other is not None and not await _exists(
                conn, "SELECT 1 FROM runs WHERE id = ?", (other,)
            ):
                raise NotFound("run", other)
        return draft

    async def get(self, run_id: str) -> Run | None:
        row = await self._db.fetch_one(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return None if row is None else _run(row)

    async def document(self, run_id: str) -> dict[str, Any] | None:
        row = await self._db.fetch_one(
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
        clauses, params = ["1"], []
        if workflow_id is not None:
            clauses.append("workflow_id = ?")
            params.append(workflow_id)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        rows = await self._db.fetch_all(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE {' AND '.join(clauses)}"
            " ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_run(row) for row in rows]

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
    ) -> Run:
        now = time.time()
        return await self._update(
            run_id,
            "status = ?, outputs = ?, error = ?, total_tokens = ?, total_steps = ?,"
            " finished_at = ?, elapsed = ? - coalesce(started_at, created_at)",
            (status, _json_or_null(outputs), error, total_tokens, total_steps, now, now),
        )

    async def _update(self, run_id: str, assignments: str, params: tuple[Any, ...]) -> Run:
        rows = await self._db.write(
            f"UPDATE runs SET {assignments} WHERE id = ? RETURNING {_RUN_COLUMNS}",
            (*params, run_id),
        )
        if not rows:
            raise NotFound("run", run_id)
        return _run(rows[0])

    async def request_stop(self, run_id: str) -> bool:
        rows = await self._db.write(
            "UPDATE runs SET stop_requested = 1 WHERE id = ? RETURNING id", (run_id,)
        )
        return bool(rows)

    async def stop_requested(self, run_id: str) -> bool:
        row = await self._db.fetch_one("SELECT stop_requested FROM runs WHERE id = ?", (run_id,))
        return row is not None and bool(row[0])


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
        try:
            rows = await self._db.write(
                'INSERT INTO node_executions (id, run_id, node_id, "index", node_type,'
                " title, status, inputs, outputs, error, started_at, finished_at,"
                " tokens, attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ' ON CONFLICT (run_id, node_id, "index") DO UPDATE SET'
                " node_type = excluded.node_type, title = excluded.title,"
                " status = excluded.status, inputs = excluded.inputs,"
                " outputs = excluded.outputs, error = excluded.error,"
                " started_at = excluded.started_at, finished_at = excluded.finished_at,"
                " tokens = excluded.tokens, attempt = excluded.attempt RETURNING *",
                (
                    str(uuid.uuid4()),
                    run_id,
                    node_id,
                    index,
                    node_type,
                    title,
                    status,
                    _json_or_null(inputs),
                    _json_or_null(outputs),
                    error,
                    started_at,
                    finished_at,
                    tokens,
                    attempt,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise NotFound("run", run_id) from exc
        return to_record(NodeExecution, rows[0], _NODE_JSON)

    async def list_for_run(self, run_id: str) -> builtins.list[NodeExecution]:
        rows = await self._db.fetch_all(
            "SELECT * FROM node_executions WHERE run_id = ? ORDER BY rowid", (run_id,)
        )
        return [to_record(NodeExecution, row, _NODE_JSON) for row in rows]

    async def finished_outputs(self, run_id: str) -> dict[str, dict[str, Any]]:
        rows = await self._db.fetch_all(
            "SELECT node_id, outputs FROM node_executions"
            " WHERE run_id = ? AND \"index\" = 0 AND status = 'succeeded'",
            (run_id,),
        )
        return {row[0]: {} if row[1] is None else dict(loads(row[1])) for row in rows}

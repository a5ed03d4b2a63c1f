"""Leased background jobs and worker heartbeats in SQLite."""

from __future__ import annotations

import builtins
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import dumps, to_record
from flowstead.store.protocol import INGEST_JOB_KIND
from flowstead.store.records import Job, JobStatus, WorkerBeat
from flowstead.store.sqlite.database import Database

_JSON = ("payload",)
_EXHAUSTED = (
    "SELECT 1 FROM jobs WHERE status = 'running' AND lease_until < ?"
    " AND attempts >= max_attempts LIMIT 1"
)
# Is anything claimable (of any kind: the claim filters by kind)? One row, NULL if not.
_CLAIMABLE = (
    "SELECT coalesce("
    " (SELECT 1 FROM jobs WHERE status = 'queued' AND run_at <= ? LIMIT 1),"
    " (SELECT 1 FROM jobs WHERE status = 'running' AND lease_until < ? LIMIT 1))"
)
_DEAD_ERROR = "'lease expired on attempt ' || attempts || ' of ' || max_attempts"


def _job(row: sqlite3.Row) -> Job:
    return to_record(Job, row, _JSON)


COMPLETE = (
    "UPDATE jobs SET status = 'done', lease_until = NULL, finished_at = ?, updated_at = ?"
    " WHERE id = ? AND worker_id = ? AND status = 'running' RETURNING id"
)
INSERT_JOB = (
    "INSERT INTO jobs (id, kind, payload, run_id, status, run_at, max_attempts,"
    " created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)"
)


def job_row(job: Job) -> tuple[Any, ...]:
    """The parameters of `INSERT_JOB` that store a new queued job."""
    return (
        job.id,
        job.kind,
        dumps(job.payload),
        job.run_id,
        job.run_at,
        job.max_attempts,
        job.created_at,
        job.updated_at,
    )


def _bury_expired(conn: sqlite3.Connection, now: float) -> None:
    """Mark jobs whose lease expired on their last attempt dead, and fail what they were
    doing: a run, or the document an ingestion job was indexing."""
    dead = conn.execute(
        f"UPDATE jobs SET status = 'dead', error = {_DEAD_ERROR}, worker_id = NULL,"
        " lease_until = NULL, finished_at = ?, updated_at = ?"
        " WHERE status = 'running' AND lease_until < ? AND attempts >= max_attempts"
        " RETURNING run_id, error, kind, json_extract(payload, '$.document_id')",
        (now, now, now),
    ).fetchall()
    for run_id, error, kind, document_id in dead:
        if run_id is not None:
            conn.execute(
                "UPDATE runs SET status = 'failed', error = ?, finished_at = ?,"
                " elapsed = ? - coalesce(started_at, created_at)"
                " WHERE id = ? AND status IN ('queued', 'running')",
                (f"the worker running it was lost: {error}", now, now, run_id),
            )
        elif kind == INGEST_JOB_KIND and document_id is not None:
            conn.execute(
                "UPDATE documents SET status = 'failed', error = ?, updated_at = ?"
                " WHERE id = ? AND status IN ('queued', 'processing')",
                (f"the worker indexing it was lost: {error}", now, document_id),
            )


class SqliteJobs:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: float | None = None,
        max_attempts: int = 3,
    ) -> Job:
        job = fresh.job(kind=kind, payload=payload, run_at=run_at, max_attempts=max_attempts)
        await self._db.write(INSERT_JOB, job_row(job))
        return job

    async def claim_next(
        self, worker_id: str, lease_seconds: float, kinds: Sequence[str] | None = None
    ) -> Job | None:
        claimed = await self.claim_many(worker_id, lease_seconds, kinds, limit=1)
        return claimed[0] if claimed else None

    async def claim_many(
        self,
        worker_id: str,
        lease_seconds: float,
        kinds: Sequence[str] | None = None,
        *,
        limit: int,
    ) -> builtins.list[Job]:
        now = time.time()
        kind_filter, kind_params = "", []
        if kinds is not None:
            kind_filter = f" AND kind IN ({', '.join('?' * len(kinds))})"
            kind_params = list(kinds)
        # Looking first keeps an idle worker from taking the write lock for nothing.
        if limit < 1 or (await self._db.select(_CLAIMABLE, (now, now)))[0][0] is None:
            return []
        # Exhausted jobs are left out, so one whose lease expires after the check below
        # waits for the next claim to bury it rather than getting an extra attempt. Two
        # scalar subqueries, because an OR of both conditions sorts every due job.
        claim_one = (
            "UPDATE jobs SET status = 'running', worker_id = ?, lease_until = ?,"
            " attempts = attempts + 1, updated_at = ? WHERE id = coalesce("
            " (SELECT id FROM jobs WHERE status = 'running' AND lease_until < ?"
            f" AND attempts < max_attempts{kind_filter} ORDER BY lease_until LIMIT 1),"
            " (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ?"
            f"{kind_filter} ORDER BY run_at, rowid LIMIT 1)) RETURNING *"
        )
        params = [worker_id, now + lease_seconds, now, now, *kind_params, now, *kind_params]

        def claim(conn: sqlite3.Connection) -> builtins.list[Job]:
            if conn.execute(_EXHAUSTED, (now,)).fetchall():
                _bury_expired(conn, now)
            claimed: builtins.list[Job] = []
            while len(claimed) < limit:
                rows = conn.execute(claim_one, params).fetchall()
                if not rows:
                    break
                claimed.append(_job(rows[0]))
            return claimed

        return await self._db.run(claim)

    async def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float) -> bool:
        now = time.time()
        return await self._update_owned(
            job_id,
            worker_id,
            "lease_until = ?, updated_at = ?",
            (now + lease_seconds, now),
        )

    async def complete(self, job_id: str, worker_id: str) -> bool:
        now = time.time()
        return bool(await self._db.write(COMPLETE, (now, now, job_id, worker_id)))

    async def fail(
        self, job_id: str, worker_id: str, error: str, *, retry_at: float | None = None
    ) -> bool:
        now = time.time()
        if retry_at is None:
            return await self._update_owned(
                job_id,
                worker_id,
                "status = 'failed', error = ?, lease_until = NULL, finished_at = ?, updated_at = ?",
                (error, now, now),
            )
        return await self._update_owned(
            job_id,
            worker_id,
            "status = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,"
            " run_at = ?, error = ?, worker_id = NULL, lease_until = NULL,"
            " finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE ? END,"
            " updated_at = ?",
            (retry_at, error, now, now),
        )

    async def release(self, job_id: str, worker_id: str) -> bool:
        return await self._update_owned(
            job_id,
            worker_id,
            "status = 'queued', attempts = max(attempts - 1, 0), worker_id = NULL,"
            " lease_until = NULL, updated_at = ?",
            (time.time(),),
        )

    async def _update_owned(
        self, job_id: str, worker_id: str, assignments: str, params: tuple[Any, ...]
    ) -> bool:
        rows = await self._db.write(
            f"UPDATE jobs SET {assignments}"
            " WHERE id = ? AND worker_id = ? AND status = 'running' RETURNING id",
            (*params, job_id, worker_id),
        )
        return bool(rows)

    async def get(self, job_id: str) -> Job | None:
        row = await self._db.select_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else _job(row)

    async def list(
        self,
        *,
        status: JobStatus | None = None,
        kind: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Job]:
        clauses: builtins.list[str] = ["1"]
        params: builtins.list[Any] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        rows = await self._db.select(
            f"SELECT * FROM jobs WHERE {' AND '.join(clauses)}"
            " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_job(row) for row in rows]


class SqliteWorkers:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def beat(self, worker_id: str, info: dict[str, Any] | None = None) -> WorkerBeat:
        beat = fresh.worker_beat(worker_id, info)
        await self._db.write(
            "INSERT INTO workers (worker_id, info, beat_at) VALUES (?, ?, ?)"
            " ON CONFLICT (worker_id) DO UPDATE SET info = excluded.info,"
            " beat_at = excluded.beat_at",
            (worker_id, dumps(beat.info), beat.beat_at),
        )
        return beat

    async def latest(self) -> WorkerBeat | None:
        row = await self._db.select_one("SELECT * FROM workers ORDER BY beat_at DESC LIMIT 1")
        return None if row is None else to_record(WorkerBeat, row, ("info",))

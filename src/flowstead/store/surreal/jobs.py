"""Leased background jobs and worker heartbeats in SurrealDB."""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import dumps, to_record
from flowstead.store.protocol import INGEST_JOB_KIND
from flowstead.store.records import Job, JobStatus, WorkerBeat
from flowstead.store.surreal.database import SurrealDatabase, plain, rid

# Expired leases are taken before queued jobs: they have waited longest. Two SELECTs,
# because an OR of both conditions makes SurrealDB 2 scan the whole table. No ORDER BY:
# SurrealDB 2 sorts every match in memory for it, while a scan of the (status, run_at)
# and (status, lease_until) indexes already yields the oldest first.
_CLAIM = """
LET $dead = (UPDATE job SET status = 'dead',
    error = string::concat('lease expired on attempt ', <string> attempts, ' of ',
                           <string> max_attempts),
    worker_id = NONE, lease_until = NONE, finished_at = $now, updated_at = $now
    WHERE status = 'running' AND lease_until < $now AND attempts >= max_attempts
    RETURN AFTER);
FOR $job IN $dead {
    IF $job.run_id {
        UPDATE type::thing('run', $job.run_id) SET status = 'failed',
            error = 'the worker running it was lost: ' + $job.error,
            finished_at = $now, elapsed = $now - (started_at ?? created_at)
            WHERE status IN ['queued', 'running'];
    };
};
LET $expired = (SELECT VALUE id FROM job
    WHERE status = 'running' AND lease_until < $now {kinds} LIMIT 1);
LET $next = IF $expired { $expired } ELSE {
    (SELECT VALUE id FROM job WHERE status = 'queued' AND run_at <= $now {kinds} LIMIT 1)
};
RETURN {
    job: IF $next {
        (UPDATE ONLY $next[0] SET status = 'running', worker_id = $worker,
            lease_until = $lease, attempts += 1, updated_at = $now RETURN AFTER)
    } ELSE { NONE },
    lost_ingestions: $dead[WHERE kind = $ingest],
};
"""


def _job(row: dict[str, Any]) -> Job:
    return to_record(Job, plain(row), ("payload",))


def job_content(job: Job) -> dict[str, Any]:
    """The content to CREATE a new queued job with."""
    return {
        "kind": job.kind,
        "payload": dumps(job.payload),
        "run_id": job.run_id,
        "status": job.status,
        "run_at": job.run_at,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


class SurrealJobs:
    def __init__(self, db: SurrealDatabase) -> None:
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
        await self._db.write(
            "CREATE $id CONTENT $content RETURN NONE",
            {"id": rid("job", job.id), "content": job_content(job)},
        )
        return job

    async def claim_next(
        self, worker_id: str, lease_seconds: float, kinds: Sequence[str] | None = None
    ) -> Job | None:
        now = time.time()
        body = _CLAIM.replace("{kinds}", "" if kinds is None else "AND kind IN $kinds")
        result = await self._db.transaction(
            body,
            {
                "now": now,
                "lease": now + lease_seconds,
                "worker": worker_id,
                "kinds": list(kinds or []),
                "ingest": INGEST_JOB_KIND,
            },
        )
        for lost in result["lost_ingestions"]:
            await self._fail_document(_job(lost), now)
        row = result["job"]
        return None if row is None else _job(row)

    async def _fail_document(self, job: Job, now: float) -> None:
        # After the claim's transaction, because the payload is JSON text SurrealQL cannot
        # read; should this process die in between, the document keeps its status.
        document_id = job.payload.get("document_id")
        if not isinstance(document_id, str):
            return
        await self._db.write(
            "UPDATE $id SET status = 'failed', error = $error, updated_at = $now"
            " WHERE status IN ['queued', 'processing'] RETURN NONE",
            {
                "id": rid("kb_document", document_id),
                "error": f"the worker indexing it was lost: {job.error}",
                "now": now,
            },
        )

    async def claim_many(
        self,
        worker_id: str,
        lease_seconds: float,
        kinds: Sequence[str] | None = None,
        *,
        limit: int,
    ) -> builtins.list[Job]:
        # One transaction per job: each claim is small, and SurrealDB retries conflicts.
        claimed: builtins.list[Job] = []
        while len(claimed) < limit:
            job = await self.claim_next(worker_id, lease_seconds, kinds)
            if job is None:
                break
            claimed.append(job)
        return claimed

    async def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float) -> bool:
        now = time.time()
        return await self._update_owned(
            job_id,
            worker_id,
            "lease_until = $lease, updated_at = $now",
            {"lease": now + lease_seconds, "now": now},
        )

    async def complete(self, job_id: str, worker_id: str) -> bool:
        now = time.time()
        return await self._update_owned(
            job_id,
            worker_id,
            "status = 'done', lease_until = NONE, finished_at = $now, updated_at = $now",
            {"now": now},
        )

    async def fail(
        self, job_id: str, worker_id: str, error: str, *, retry_at: float | None = None
    ) -> bool:
        now = time.time()
        if retry_at is None:
            return await self._update_owned(
                job_id,
                worker_id,
                "status = 'failed', error = $error, lease_until = NONE, finished_at = $now,"
                " updated_at = $now",
                {"error": error, "now": now},
            )
        return await self._update_owned(
            job_id,
            worker_id,
            "status = IF attempts < max_attempts { 'queued' } ELSE { 'failed' },"
            " finished_at = IF attempts < max_attempts { NONE } ELSE { $now },"
            " run_at = $retry_at, error = $error, worker_id = NONE, lease_until = NONE,"
            " updated_at = $now",
            {"retry_at": retry_at, "error": error, "now": now},
        )

    async def release(self, job_id: str, worker_id: str) -> bool:
        return await self._update_owned(
            job_id,
            worker_id,
            "status = 'queued', attempts = math::max([attempts - 1, 0]), worker_id = NONE,"
            " lease_until = NONE, updated_at = $now",
            {"now": time.time()},
        )

    async def _update_owned(
        self, job_id: str, worker_id: str, assignments: str, params: dict[str, Any]
    ) -> bool:
        rows = await self._db.write_rows(
            f"UPDATE $id SET {assignments}"
            " WHERE worker_id = $worker AND status = 'running' RETURN VALUE id",
            {**params, "id": rid("job", job_id), "worker": worker_id},
        )
        return bool(rows)

    async def get(self, job_id: str) -> Job | None:
        rows = await self._db.select("SELECT * FROM $id", {"id": rid("job", job_id)})
        return _job(rows[0]) if rows else None

    async def list(
        self,
        *,
        status: JobStatus | None = None,
        kind: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Job]:
        clauses = ["true"]
        if status is not None:
            clauses.append("status = $status")
        if kind is not None:
            clauses.append("kind = $kind")
        rows = await self._db.select(
            f"SELECT * FROM job WHERE {' AND '.join(clauses)}"
            " ORDER BY created_at DESC, id LIMIT $limit START $offset",
            {"status": status, "kind": kind, "limit": limit, "offset": offset},
        )
        return [_job(row) for row in rows]


class SurrealWorkers:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def beat(self, worker_id: str, info: dict[str, Any] | None = None) -> WorkerBeat:
        beat = fresh.worker_beat(worker_id, info)
        await self._db.write(
            "UPSERT $id CONTENT $content RETURN NONE",
            {
                "id": rid("worker", worker_id),
                "content": {
                    "worker_id": worker_id,
                    "info": dumps(beat.info),
                    "beat_at": beat.beat_at,
                },
            },
        )
        return beat

    async def latest(self) -> WorkerBeat | None:
        rows = await self._db.select(
            "SELECT worker_id, info, beat_at FROM worker ORDER BY beat_at DESC LIMIT 1"
        )
        return to_record(WorkerBeat, rows[0], ("info",)) if rows else None

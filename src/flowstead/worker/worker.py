"""`Worker`: claims jobs with a lease, runs a few at once, heartbeats them, hands back on stop.

Wakes when a `jobs` notification arrives, when one of its jobs ends, and on a slow fallback
timer (a notification can be lost). A job whose lease expired because its worker died is
claimed like a queued one (`store.jobs.claim_next` does both).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from flowstead import logs
from flowstead.services.notify import JOBS, Notifier, Subscription
from flowstead.store.protocol import Store
from flowstead.store.records import Job

log = logging.getLogger(__name__)

JobHandler = Callable[[Job], Awaitable[bool | None]]
"""Does one claimed job. Cancelled when its lease is lost or it is handed back. Returns
True when it marked the job done itself (with its own last write)."""

Interruption = Literal["lost", "handed_back"]
RETRY_SECONDS = 5.0


@dataclass
class _Active:
    task: asyncio.Task[None]
    interrupted: Interruption | None = None


class Worker:
    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        handlers: Mapping[str, JobHandler],
        *,
        worker_id: str | None = None,
        concurrency: int = 4,
        lease_seconds: float = 30.0,
        grace_seconds: float = 10.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self._store = store
        self._notifier = notifier
        self._handlers = dict(handlers)
        self._concurrency = concurrency
        self._lease = lease_seconds
        self._grace = grace_seconds
        self._poll = poll_seconds
        self._active: dict[str, _Active] = {}
        # Set once the first heartbeat was written (or failed): background chores wait
        # for it, so they never delay the worker's announcing itself.
        self.announced = asyncio.Event()

    async def run(self, stopping: asyncio.Event) -> None:
        """Claim and execute jobs until `stopping` is set, then drain and return."""
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            with self._notifier.subscribe(JOBS) as wake:
                stop_waiter = asyncio.create_task(_wake_when_set(stopping, wake))
                try:
                    await self._claim_until(stopping, wake)
                finally:
                    stop_waiter.cancel()
            await self._drain()
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _claim_until(self, stopping: asyncio.Event, wake: Subscription) -> None:
        while not stopping.is_set():
            while (free := self._concurrency - len(self._active)) > 0 and not stopping.is_set():
                jobs = await self._claim(free)
                for job in jobs:
                    self._start(job, wake)
                if len(jobs) < free:
                    break
            await wake.wait(self._poll)

    async def _claim(self, limit: int) -> list[Job]:
        """Up to `limit` jobs, in one store transaction (several may be queued at once)."""
        try:
            return await self._store.jobs.claim_many(
                self.worker_id, self._lease, kinds=list(self._handlers), limit=limit
            )
        except Exception:
            log.exception("claiming a job failed")
            return []

    def _start(self, job: Job, wake: Subscription) -> None:
        task = asyncio.create_task(self._do(job), name=f"job-{job.id}")
        self._active[job.id] = _Active(task)
        # A finished job frees a slot: look for the next one at once.
        task.add_done_callback(lambda _task: wake.wake())

    async def _do(self, job: Job) -> None:
        with logs.bind(run_id=job.run_id):
            log.info(
                "job claimed", extra={"job_id": job.id, "kind": job.kind, "attempt": job.attempts}
            )
            try:
                done = await self._handlers[job.kind](job)
            except asyncio.CancelledError:
                await asyncio.shield(self._interrupted(job))
                raise
            except Exception as exc:
                # Handlers record expected failures themselves; this is the store failing
                # or a bug, so the job is tried again later while it has attempts left.
                log.exception("job failed", extra={"job_id": job.id})
                retry_at = time.time() + RETRY_SECONDS
                failed = self._store.jobs.fail(job.id, self.worker_id, repr(exc), retry_at=retry_at)
                await self._settle(failed)
            else:
                if not done:
                    await self._settle(self._store.jobs.complete(job.id, self.worker_id))
            finally:
                self._active.pop(job.id, None)

    async def _interrupted(self, job: Job) -> None:
        active = self._active.get(job.id)
        if active is not None and active.interrupted == "handed_back":
            await self._settle(self._store.jobs.release(job.id, self.worker_id))
            log.info("job handed back", extra={"job_id": job.id})
        else:
            log.warning("job abandoned: its lease was lost", extra={"job_id": job.id})

    async def _settle(self, update: Awaitable[bool]) -> None:
        try:
            await update
        except Exception:
            log.exception("recording a job's end failed")

    async def _heartbeat(self) -> None:
        interval = max(self._lease / 3, 0.05)
        while True:
            try:
                await self._store.workers.beat(self.worker_id, self._info())
                for job_id, active in list(self._active.items()):
                    if await self._store.jobs.heartbeat(job_id, self.worker_id, self._lease):
                        continue
                    if await self._done_here(job_id):  # its handler just marked it done
                        continue
                    active.interrupted = active.interrupted or "lost"
                    active.task.cancel()
            except Exception:
                log.exception("heartbeat failed")
            self.announced.set()
            await asyncio.sleep(interval)

    async def _done_here(self, job_id: str) -> bool:
        job = await self._store.jobs.get(job_id)
        return job is not None and job.status == "done" and job.worker_id == self.worker_id

    def _info(self) -> dict[str, object]:
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "concurrency": self._concurrency,
            "running": len(self._active),
        }

    async def _drain(self) -> None:
        """Let running jobs finish within the grace period, then hand the rest back."""
        tasks = [active.task for active in self._active.values()]
        if not tasks:
            return
        log.info("stopping: waiting for running jobs", extra={"running": len(tasks)})
        _done, pending = await asyncio.wait(tasks, timeout=self._grace)
        for active in list(self._active.values()):
            if active.task in pending:
                active.interrupted = "handed_back"
                active.task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _wake_when_set(event: asyncio.Event, wake: Subscription) -> None:
    await event.wait()
    wake.wake()

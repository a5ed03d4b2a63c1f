"""`Worker` in this process with plain job handlers, on a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from flowstead.services.notify import JOBS, Notifier
from flowstead.store import Store
from flowstead.store.records import Job
from flowstead.worker.worker import Worker
from tests.integration.worker.conftest import WAIT


@asynccontextmanager
async def running(
    store: Store,
    notifier: Notifier,
    handler: Callable[[Job], Awaitable[bool | None]],
    *,
    concurrency: int = 2,
    lease_seconds: float = 30.0,
    grace_seconds: float = 10.0,
) -> AsyncIterator[Worker]:
    """A worker for `test` jobs, stopped (and drained) when the block ends."""
    worker = Worker(
        store,
        notifier,
        {"test": handler},
        concurrency=concurrency,
        lease_seconds=lease_seconds,
        grace_seconds=grace_seconds,
        poll_seconds=0.1,
    )
    stopping = asyncio.Event()
    task = asyncio.create_task(worker.run(stopping))
    try:
        yield worker
    finally:
        stopping.set()
        async with asyncio.timeout(WAIT):
            await task


async def test_jobs_run_at_most_concurrency_at_once(store: Store, notifier: Notifier) -> None:
    busy, most, done, finished = [0], [0], [0], asyncio.Event()

    async def handler(_job: Job) -> None:
        busy[0] += 1
        most[0] = max(most[0], busy[0])
        await asyncio.sleep(0.05)
        busy[0] -= 1
        done[0] += 1
        if done[0] == 6:
            finished.set()

    jobs = [await store.jobs.enqueue("test", {"n": n}) for n in range(6)]
    async with running(store, notifier, handler, concurrency=2):
        notifier.publish(JOBS)
        async with asyncio.timeout(WAIT):
            await finished.wait()

    statuses = [getattr(await store.jobs.get(job.id), "status", None) for job in jobs]
    assert statuses == ["done"] * 6
    assert most[0] == 2


async def test_a_failing_handler_queues_its_job_again_for_later(
    store: Store, notifier: Notifier
) -> None:
    called = asyncio.Event()

    async def handler(_job: Job) -> None:
        called.set()
        raise RuntimeError("the store went away")

    job = await store.jobs.enqueue("test", {})
    async with running(store, notifier, handler):
        async with asyncio.timeout(WAIT):
            await called.wait()

    found = await store.jobs.get(job.id)
    assert found is not None
    assert (found.status, found.attempts) == ("queued", 1)
    assert found.run_at > found.updated_at
    assert "the store went away" in (found.error or "")


async def test_a_job_whose_lease_was_lost_is_abandoned_not_finished(
    store: Store, notifier: Notifier
) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def handler(_job: Job) -> None:
        started.set()
        try:
            await asyncio.sleep(WAIT)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    job = await store.jobs.enqueue("test", {})
    async with running(store, notifier, handler, concurrency=1, lease_seconds=0.6) as worker:
        async with asyncio.timeout(WAIT):
            await started.wait()
            # Another worker takes the job over, as if this one had stalled past its lease.
            assert await store.jobs.release(job.id, worker.worker_id)
            assert await store.jobs.claim_next("thief", 30.0, kinds=["test"]) is not None
            await cancelled.wait()

    taken = await store.jobs.get(job.id)
    assert taken is not None
    assert (taken.status, taken.worker_id) == ("running", "thief")


async def test_stopping_hands_back_jobs_that_outlast_the_grace_period(
    store: Store, notifier: Notifier
) -> None:
    started = asyncio.Event()

    async def handler(_job: Job) -> None:
        started.set()
        await asyncio.sleep(WAIT)

    job = await store.jobs.enqueue("test", {})
    async with running(store, notifier, handler, grace_seconds=0.1):
        async with asyncio.timeout(WAIT):
            await started.wait()

    handed_back = await store.jobs.get(job.id)
    assert handed_back is not None
    assert (handed_back.status, handed_back.attempts, handed_back.worker_id) == ("queued", 0, None)


async def test_a_job_its_handler_marked_done_is_not_taken_for_lost(
    store: Store, notifier: Notifier
) -> None:
    finished = asyncio.Event()

    async def handler(job: Job) -> bool:
        assert job.worker_id is not None
        assert await store.jobs.complete(job.id, job.worker_id)
        await asyncio.sleep(0.3)  # heartbeats come while it winds down
        finished.set()
        return True

    job = await store.jobs.enqueue("test", {})
    async with running(store, notifier, handler, lease_seconds=0.15):
        notifier.publish(JOBS)
        async with asyncio.timeout(WAIT):
            await finished.wait()
    done = await store.jobs.get(job.id)
    assert done is not None
    assert done.status == "done"

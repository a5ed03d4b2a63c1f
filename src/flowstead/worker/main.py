"""`flowstead worker`: the process that executes queued runs, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

from flowstead import logs
from flowstead.engine.limits import Limits
from flowstead.engine.tools import ToolSettings
from flowstead.services.collaborators import open_collaborators
from flowstead.services.execution import RunExecutor
from flowstead.services.knowledge import open_ingestor
from flowstead.services.notify import Notifier
from flowstead.services.retention import delete_old_runs
from flowstead.services.uploads import UploadService
from flowstead.settings import Settings
from flowstead.store import Store, open_store
from flowstead.store.protocol import INGEST_JOB_KIND, RUN_JOB_KIND
from flowstead.worker.ingestion import IngestionJobs
from flowstead.worker.worker import Worker

log = logging.getLogger("flowstead.worker")

GRACE_SECONDS = 10.0
# How often a worker deletes the runs older than FLOWSTEAD_RUN_RETENTION_DAYS.
RETENTION_SWEEP_SECONDS = 3600.0


def limits(settings: Settings) -> Limits:
    return Limits(
        max_steps=settings.max_steps,
        max_time=settings.max_run_seconds,
        node_timeout=settings.node_timeout_seconds,
        max_parallel=settings.max_parallel_branches,
    )


async def serve(settings: Settings, *, grace_seconds: float = GRACE_SECONDS) -> None:
    """Run a worker until a stop signal, then drain it (see `Worker.run`)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_store(settings.database_url, settings.data_dir)
    max_bytes = settings.max_upload_mb * 1024 * 1024
    async with (
        store,
        Notifier.for_data_dir(settings.data_dir) as notifier,
        open_collaborators(
            store,
            settings.data_dir,
            max_file_bytes=max_bytes,
            tool_settings=ToolSettings(searxng_url=settings.searxng_url),
        ) as collaborators,
        open_ingestor(store, settings.data_dir, max_bytes=max_bytes) as ingestor,
    ):
        executor = RunExecutor(store, notifier, collaborators, limits=limits(settings))
        worker = Worker(
            store,
            notifier,
            {RUN_JOB_KIND: executor.execute_job, INGEST_JOB_KIND: IngestionJobs(ingestor).handle},
            concurrency=settings.worker_concurrency,
            lease_seconds=settings.job_lease_seconds,
            grace_seconds=grace_seconds,
        )
        log.info(
            "worker started",
            extra={"worker_id": worker.worker_id, "concurrency": settings.worker_concurrency},
        )
        chores = [
            asyncio.create_task(sweep_uploads(UploadService(store, settings.data_dir, max_bytes)))
        ]
        if settings.run_retention_days > 0:
            chores.append(
                asyncio.create_task(
                    sweep_runs(store, settings.run_retention_days, after=worker.announced)
                )
            )
        try:
            await worker.run(stopping)
        finally:
            for chore in chores:
                chore.cancel()
        log.info("worker stopped", extra={"worker_id": worker.worker_id})


async def sweep_uploads(uploads: UploadService) -> None:
    """Once, beside the work: files a crash left in the uploads folder."""
    try:
        removed = await uploads.sweep_orphans()
    except Exception:
        log.exception("sweeping the uploads folder failed")
        return
    if removed:
        log.info("removed files no upload names", extra={"files": removed})


async def sweep_runs(
    store: Store,
    retention_days: float,
    *,
    after: asyncio.Event,
    every: float = RETENTION_SWEEP_SECONDS,
) -> None:
    """Once `after` is set (the first heartbeat), then every `every` seconds: delete the
    runs that finished more than `retention_days` ago. Several workers may sweep at once:
    each deletes what it finds still there."""
    await after.wait()
    while True:
        try:
            removed = await delete_old_runs(store, retention_days)
        except Exception:
            log.exception("deleting old runs failed")
        else:
            log.info(
                "deleted old runs",
                extra={"runs": removed, "retention_days": retention_days},
            )
        await asyncio.sleep(every)


def main(settings: Settings, *, grace_seconds: float = GRACE_SECONDS) -> int:
    logs.configure(settings.log_level)
    if settings.log_level != "DEBUG":  # a line per model request would drown the runs' lines
        logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(serve(settings, grace_seconds=grace_seconds))
    return 0

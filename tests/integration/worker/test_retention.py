"""A real `flowstead worker` started with FLOWSTEAD_RUN_RETENTION_DAYS deletes old runs."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from flowstead.services.retention import DAY_SECONDS
from flowstead.settings import Settings
from flowstead.store import Store
from flowstead.store.records import Run
from tests.integration.worker.conftest import WAIT, StartWorker, published, workflow_document


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.from_env(
        {"FLOWSTEAD_DATABASE_URL": database_url, "FLOWSTEAD_RUN_RETENTION_DAYS": "30"},
        data_dir=tmp_path / "data",
        job_lease_seconds=1.0,
    )


async def ended_run(store: Store, workflow_id: str) -> Run:
    """A run that a worker (this test) claimed and finished."""
    run = await store.runs.create(workflow_id=workflow_id, inputs={"question": "hi"}, version=1)
    job = await store.jobs.claim_next("test", 30)
    assert job is not None
    assert job.run_id == run.id
    await store.events.append_many(run.id, [("run_started", {})], mark_running=True)
    return await store.runs.finish(run.id, status="succeeded", outputs={}, done_job=job)


def finished_days_ago(settings: Settings, run_id: str, days: float) -> None:
    """Move the run's end into the past, below the store (its clock is the real one)."""
    with closing(sqlite3.connect(settings.data_dir / "flowstead.db")) as conn, conn:
        conn.execute(
            "UPDATE runs SET finished_at = finished_at - ? WHERE id = ?",
            (days * DAY_SECONDS, run_id),
        )


def logged(log: Path, message: str) -> list[dict[str, object]]:
    lines = log.read_text().splitlines() if log.exists() else []
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    return [entry for entry in entries if entry.get("message") == message]


async def test_a_worker_deletes_the_runs_older_than_the_retention(
    settings: Settings, store: Store, start_worker: StartWorker
) -> None:
    workflow_id = await published(store, workflow_document())
    old = await ended_run(store, workflow_id)
    kept = await ended_run(store, workflow_id)
    finished_days_ago(settings, old.id, 31)
    finished_days_ago(settings, kept.id, 29)

    worker = start_worker()
    async with asyncio.timeout(WAIT):
        while not logged(worker.log, "deleted old runs"):  # noqa: ASYNC110 (another process)
            await asyncio.sleep(0.05)

    assert [entry["runs"] for entry in logged(worker.log, "deleted old runs")] == [1]
    assert await store.runs.get(old.id) is None
    assert await store.events.read(old.id) == []
    assert await store.runs.get(kept.id) is not None
    assert await store.workers.latest() is not None

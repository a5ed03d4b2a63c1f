"""Two OS processes on one SQLite file: jobs claimed once each, event numbers never reused."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from flowstead.store import open_store
from tests.integration.store import worker_process

SCRIPT = Path(worker_process.__file__)
JOBS = 1000


async def run_together(url: str, data_dir: Path, mode: str, args: list[str]) -> list[Any]:
    """Start one process per arg, release them at once, return each one's JSON result."""
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            url,
            str(data_dir),
            mode,
            arg,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for arg in args
    ]
    for process in processes:
        assert process.stdout is not None
        assert (await process.stdout.readline()).strip() == b"ready"
    outputs = await asyncio.gather(*(p.communicate(b"go\n") for p in processes))
    assert [p.returncode for p in processes] == [0] * len(processes)
    return [json.loads(stdout) for stdout, _ in outputs]


async def test_two_processes_claim_every_job_exactly_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/flowstead.db"
    async with await open_store(url, tmp_path) as store:
        enqueued = {(await store.jobs.enqueue("ingest", {"n": n})).id for n in range(JOBS)}

    first, second = await run_together(url, tmp_path, "claim", ["w1", "w2"])

    assert len(first) + len(second) == JOBS
    assert set(first) | set(second) == enqueued
    assert first, "the second process claimed everything"
    assert second, "the first process claimed everything"
    async with await open_store(url, tmp_path) as store:
        done = await store.jobs.list(status="done", limit=JOBS + 1)
        assert {job.id for job in done} == enqueued
        assert all(job.attempts == 1 for job in done)


async def test_two_processes_append_with_contiguous_sequence_numbers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/flowstead.db"
    async with await open_store(url, tmp_path) as store:
        workflow = await store.workflows.create(name="w", document={})
        run = await store.runs.create(workflow_id=workflow.id, inputs={})

    first, second = await run_together(url, tmp_path, "append", [run.id, run.id])

    total = 2 * worker_process.APPEND_BATCHES * worker_process.BATCH_SIZE
    assert sorted(first + second) == list(range(1, total + 1))
    async with await open_store(url, tmp_path) as store:
        events = await store.events.read(run.id, limit=total + 1)
        assert [e.seq for e in events] == list(range(1, total + 1))

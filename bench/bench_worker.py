"""Runs through the store and the engine: throughput in one process, and the wake-up
latency of a real `flowstead worker` process.

Run `/tmp/venv/bin/python bench/bench_worker.py`; it writes `bench/results/worker.json`
with the machine it ran on. Workloads use the 3-node template workflow (no model calls):

- `sequential`: start a run, execute it, next (one run at a time, SQLite file);
- `worker_concurrent`: 1,000 queued runs drained by an in-process `Worker` (concurrency 4);
- `wake_up`: a worker process idles; the time from `start_run` to the run's first stored
  event and to its `run_finished`, as a follower (`events_after`) sees them.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_engine import three_nodes
from flowstead.services.collaborators import open_collaborators
from flowstead.services.execution import RunExecutor
from flowstead.services.notify import Notifier
from flowstead.services.runs import RunService
from flowstead.settings import Settings
from flowstead.store import Store, open_store
from flowstead.store.protocol import RUN_JOB_KIND
from flowstead.worker.main import limits
from flowstead.worker.worker import Worker
from machine import machine

RESULTS = Path(__file__).parent / "results" / "worker.json"


@dataclass
class Services:
    store: Store
    notifier: Notifier
    runs: RunService
    executor: RunExecutor


@asynccontextmanager
async def services(settings: Settings) -> AsyncIterator[Services]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with (
        await open_store(settings.database_url, settings.data_dir) as store,
        Notifier.for_data_dir(settings.data_dir) as notifier,
        open_collaborators(store, settings.data_dir, max_file_bytes=1024) as collaborators,
    ):
        executor = RunExecutor(store, notifier, collaborators, limits=limits(settings))
        yield Services(store, notifier, RunService(store, notifier), executor)


async def workflow(store: Store) -> str:
    created = await store.workflows.create(name="bench", document=three_nodes())
    await store.workflows.publish(created.id)
    return created.id


async def sequential(settings: Settings, seconds: float) -> dict[str, Any]:
    async with services(settings) as s:
        workflow_id = await workflow(s.store)
        count, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            run = await s.runs.start_run(workflow_id, inputs={"name": "bench"})
            await s.executor.execute(run.id)
            count += 1
        return {"runs": count, "runs_per_second": round(count / elapsed, 1)}


async def worker_concurrent(settings: Settings, total: int) -> dict[str, Any]:
    async with services(settings) as s:
        workflow_id = await workflow(s.store)
        start = s.runs.start_run
        ids = [(await start(workflow_id, inputs={"name": "b"})).id for _ in range(total)]
        stopping = asyncio.Event()
        worker = Worker(
            s.store,
            s.notifier,
            {RUN_JOB_KIND: s.executor.execute_job},
            concurrency=settings.worker_concurrency,
            lease_seconds=settings.job_lease_seconds,
        )
        started = time.perf_counter()
        draining = asyncio.create_task(worker.run(stopping))
        for run_id in ids:
            done = await s.runs.wait(run_id)
            assert done is not None
            assert done.status == "succeeded", done.error
        elapsed = time.perf_counter() - started
        stopping.set()
        await draining
        return {
            "runs": total,
            "concurrency": settings.worker_concurrency,
            "runs_per_second": round(total / elapsed, 1),
        }


async def wake_up(settings: Settings, samples: int) -> dict[str, Any]:
    async with services(settings) as s:
        workflow_id = await workflow(s.store)
        command = "from flowstead.cli import main; raise SystemExit(main())"
        process = await asyncio.create_subprocess_exec(
            *[sys.executable, "-c", command, "worker"],
            env={**os.environ, **settings.to_env()},
            stdout=asyncio.subprocess.DEVNULL,
        )
        try:
            first_event: list[float] = []
            finished: list[float] = []
            for index in range(samples + 1):
                await asyncio.sleep(0.05)  # the worker idles between runs
                started = time.perf_counter()
                run = await s.runs.start_run(workflow_id, inputs={"name": "b"})
                async for event in s.runs.events_after(run.id):
                    if event.seq == 1:
                        seen = time.perf_counter() - started
                if index:  # the first run waits for the process to start
                    first_event.append(seen * 1000)
                    finished.append((time.perf_counter() - started) * 1000)
        finally:
            process.terminate()
            await process.wait()
        return {
            "samples": samples,
            "first_event_ms_median": round(statistics.median(first_event), 2),
            "first_event_ms_p95": round(statistics.quantiles(first_event, n=20)[-1], 2),
            "run_finished_ms_median": round(statistics.median(finished), 2),
            "run_finished_ms_p95": round(statistics.quantiles(finished, n=20)[-1], 2),
        }


def settings_in(directory: str, name: str) -> Settings:
    return Settings.from_env({}, data_dir=Path(directory) / name, log_level="WARNING")


async def main() -> None:
    # Other processes on the machine slow every figure here; the load says how busy it was.
    load = [round(value, 2) for value in os.getloadavg()]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="flowstead-bench-") as directory:
        results["sequential"] = await sequential(settings_in(directory, "seq"), seconds=5.0)
        print("sequential       ", results["sequential"])
        results["worker_concurrent"] = await worker_concurrent(
            settings_in(directory, "worker"), total=1000
        )
        print("worker_concurrent", results["worker_concurrent"])
        results["wake_up"] = await wake_up(settings_in(directory, "wake"), samples=100)
        print("wake_up          ", results["wake_up"])
    report = {
        "machine": {**machine(), "load_average_1_5_15": load},
        "workflow": "three_nodes (start → template → end)",
    }
    report["results"] = results
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())

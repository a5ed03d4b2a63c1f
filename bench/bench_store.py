"""Store throughput: event appends (one by one and in batches of 50) and job claims.

Runs each workload on SQLite (a file), SurrealDB mem:// and SurrealDB surrealkv://, and
writes the figures with a description of the machine to bench/results/store.json.

    python bench/bench_store.py
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from flowstead.store import Store, open_store
from machine import machine

RESULTS = Path(__file__).parent / "results" / "store.json"
BACKENDS = {
    "sqlite": "sqlite:///{dir}/flowstead.db",
    "surreal-mem": "mem://",
    "surrealkv": "surrealkv://{dir}/surreal",
}
SINGLE_APPENDS = 2_000
BATCH = 50
BATCHED_EVENTS = 25_000
JOBS = 1_000
READ_PAGES = 200
EVENT = {"node_id": "llm", "text": "a chunk of streamed text, about this long"}


async def timed(work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def new_run(store: Store) -> str:
    workflow = await store.workflows.create(name="bench", document={"nodes": []})
    return (await store.runs.create(workflow_id=workflow.id, inputs={})).id


async def single_appends(store: Store, run_id: str) -> dict[str, float]:
    async def work() -> None:
        for _ in range(SINGLE_APPENDS):
            await store.events.append(run_id, "text_chunk", EVENT)

    seconds = await timed(work)
    return {"events": SINGLE_APPENDS, "seconds": seconds, "events_per_s": SINGLE_APPENDS / seconds}


async def batched_appends(store: Store, run_id: str) -> dict[str, float]:
    batch = [("text_chunk", EVENT)] * BATCH

    async def work() -> None:
        for _ in range(BATCHED_EVENTS // BATCH):
            await store.events.append_many(run_id, batch)

    seconds = await timed(work)
    return {
        "events": BATCHED_EVENTS,
        "batch": BATCH,
        "seconds": seconds,
        "events_per_s": BATCHED_EVENTS / seconds,
    }


async def event_reads(store: Store, run_id: str) -> dict[str, float]:
    """Pages of 100 events read from the log the batched workload wrote."""
    last = await store.events.last_seq(run_id)

    async def work() -> None:
        for page in range(READ_PAGES):
            await store.events.read(run_id, after_seq=(page * 100) % last, limit=100)

    seconds = await timed(work)
    return {"pages": READ_PAGES, "page_size": 100, "pages_per_s": READ_PAGES / seconds}


async def job_claims(store: Store) -> dict[str, float]:
    async def enqueue() -> None:
        for n in range(JOBS):
            await store.jobs.enqueue("bench", {"n": n})

    async def claim_and_complete() -> None:
        while (job := await store.jobs.claim_next("bench-worker", 60)) is not None:
            await store.jobs.complete(job.id, "bench-worker")

    enqueue_seconds = await timed(enqueue)
    claim_seconds = await timed(claim_and_complete)
    return {
        "jobs": JOBS,
        "enqueued_per_s": JOBS / enqueue_seconds,
        "claimed_and_completed_per_s": JOBS / claim_seconds,
    }


async def bench_backend(url: str, data_dir: Path) -> dict[str, Any]:
    async with await open_store(url, data_dir) as store:
        single = await single_appends(store, await new_run(store))
        batched_run = await new_run(store)
        batched = await batched_appends(store, batched_run)
        reads = await event_reads(store, batched_run)
        jobs = await job_claims(store)
    return {"single_appends": single, "batched_appends": batched, "reads": reads, "jobs": jobs}


async def main() -> None:
    results: dict[str, Any] = {"machine": machine(), "backends": {}}
    for name, template in BACKENDS.items():
        with tempfile.TemporaryDirectory() as tmp:
            figures = await bench_backend(template.format(dir=tmp), Path(tmp))
        results["backends"][name] = figures
        print(
            f"{name:12} single {figures['single_appends']['events_per_s']:8.0f} ev/s"
            f"  batched {figures['batched_appends']['events_per_s']:8.0f} ev/s"
            f"  reads {figures['reads']['pages_per_s']:6.0f} pages/s"
            f"  claims {figures['jobs']['claimed_and_completed_per_s']:6.0f} jobs/s"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())

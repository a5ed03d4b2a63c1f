"""A separate OS process sharing one SQLite store: claims jobs or appends events.

Usage: python worker_process.py DATABASE_URL DATA_DIR claim WORKER_ID
       python worker_process.py DATABASE_URL DATA_DIR append RUN_ID
Prints `ready`, waits for a line on stdin (so two processes start together), then prints
the claimed job ids or the assigned sequence numbers as one JSON list.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from flowstead.store import Store, open_store

APPEND_BATCHES = 100
BATCH_SIZE = 5


async def claim_all(store: Store, worker_id: str) -> list[str]:
    claimed = []
    while (job := await store.jobs.claim_next(worker_id, lease_seconds=60)) is not None:
        claimed.append(job.id)
        if not await store.jobs.complete(job.id, worker_id):
            raise RuntimeError(f"lost the lease of {job.id}")
    return claimed


async def append_batches(store: Store, run_id: str) -> list[int]:
    assigned = []
    for n in range(APPEND_BATCHES):
        assigned += await store.events.append_many(run_id, [("e", {"n": n})] * BATCH_SIZE)
    return assigned


async def main(database_url: str, data_dir: str, mode: str, arg: str) -> None:
    async with await open_store(database_url, Path(data_dir)) as store:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        if mode == "claim":
            result: list[str] | list[int] = await claim_all(store, arg)
        else:
            result = await append_batches(store, arg)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))

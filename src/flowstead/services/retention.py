"""Run retention: runs that finished more than some days ago are deleted with their logs,
node executions and jobs; the chat messages they answered stay."""

from __future__ import annotations

import time

from flowstead.store.protocol import Store

DAY_SECONDS = 86_400.0


async def delete_old_runs(store: Store, days: float) -> int:
    """Delete the runs that finished more than `days` days ago; how many went."""
    return await store.runs.delete_finished(time.time() - days * DAY_SECONDS)

"""The append-only event log of each run in SurrealDB.

An event's record key is `[run_id, seq]`: a run's log is one ordered key range, read
without sorting, and a duplicate sequence number cannot be written. The run record holds
`last_seq`; bumping it in the appending transaction makes concurrent appenders conflict
(one retries) instead of interleaving.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

from flowstead.store.codec import dumps, to_record
from flowstead.store.records import RunEvent
from flowstead.store.surreal.database import SurrealDatabase, rid

MAX_SEQ = 2**63 - 1

_APPEND = """
LET $last = (UPDATE $run SET last_seq = (last_seq ?? 0) + array::len($events)
    RETURN VALUE last_seq)[0];
IF $last = NONE { THROW 'not_found:run:' + $key };
LET $first = $last - array::len($events);
FOR $event IN $events {
    CREATE type::thing('run_event', [$key, $first + $event.n]) CONTENT {
        run_id: $key, seq: $first + $event.n, type: $event.type, data: $event.data,
        created_at: $now,
    } RETURN NONE;
};
RETURN $first;
"""


class SurrealRunEvents:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def append(self, run_id: str, type: str, data: dict[str, Any] | None = None) -> int:
        return (await self.append_many(run_id, [(type, data or {})]))[0]

    async def append_many(
        self, run_id: str, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> builtins.list[int]:
        if not events:
            return []
        first = await self._db.transaction(
            _APPEND,
            {
                "run": rid("run", run_id),
                "key": run_id,
                "now": time.time(),
                "events": [
                    {"n": n, "type": type, "data": dumps(data)}
                    for n, (type, data) in enumerate(events, start=1)
                ],
            },
        )
        return list(range(first + 1, first + len(events) + 1))

    async def read(
        self, run_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> builtins.list[RunEvent]:
        # A key range comes back in key order, so no ORDER BY (which would sort in memory).
        rows = await self._db.select(
            "SELECT run_id, seq, type, data, created_at"
            " FROM run_event:[$key, $after]>..=[$key, $max] LIMIT $limit",
            {"key": run_id, "after": after_seq, "max": MAX_SEQ, "limit": limit},
        )
        return [to_record(RunEvent, {**row, "run_id": run_id}, ("data",)) for row in rows]

    async def last_seq(self, run_id: str) -> int:
        rows = await self._db.select("SELECT VALUE last_seq FROM $run", {"run": rid("run", run_id)})
        return int(rows[0] or 0) if rows else 0

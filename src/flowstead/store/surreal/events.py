"""The append-only event log of each run in SurrealDB.

An event's record key is `[run_id, seq]`: a run's log is one ordered key range, read
without sorting, and a duplicate sequence number cannot be written. The run record holds
`last_seq`; bumping it in the appending transaction makes concurrent appenders conflict
(one retries) instead of interleaving. Node executions written with events go in the
same transaction.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from flowstead.store.codec import dumps, dumps_or_none, to_record
from flowstead.store.ids import new_id
from flowstead.store.protocol import NewEvent, NodeUpdate
from flowstead.store.records import RunEvent
from flowstead.store.surreal.database import SurrealDatabase, rid

MAX_SEQ = 2**63 - 1

MARK_RUNNING = """
UPDATE $run SET status = 'running', started_at = started_at ?? $now RETURN NONE;
"""
# Statements for the body of a transaction, with $run, $key, $now, $events and $nodes
# (`append_statements` picks what a write needs): append the events, bumping the run's
# last_seq, which also checks that the run exists ($first is the seq before the first
# event); then insert or overwrite the node executions.
_APPEND_EVENTS = """
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
"""
_UPSERT_NODES = """
FOR $node IN $nodes {
    LET $existing = (SELECT VALUE id FROM node_execution
        WHERE run_id = $key AND node_id = $node.fields.node_id
        AND index = $node.fields.index)[0];
    IF $existing {
        UPDATE $existing MERGE $node.fields RETURN NONE;
    } ELSE {
        CREATE type::thing('node_execution', $node.id) CONTENT $node.created RETURN NONE;
    };
};
"""


def append_statements(events: Sequence[NewEvent], nodes: Sequence[NodeUpdate]) -> str:
    """The statements that store these events and nodes (a shorter query parses faster)."""
    return _APPEND_EVENTS + (_UPSERT_NODES if nodes else "")


def log_params(
    run_id: str, events: Sequence[NewEvent], nodes: Sequence[NodeUpdate], now: float
) -> dict[str, Any]:
    """The parameters of `append_statements`."""
    node_params = []
    for n, node in enumerate(nodes):
        fields = node_content(node)
        # Listing sorts by recorded_at: a microsecond apart keeps the batch's order.
        created = {**fields, "run_id": run_id, "recorded_at": now + n * 1e-6}
        node_params.append({"id": new_id(), "fields": fields, "created": created})
    return {
        "run": rid("run", run_id),
        "key": run_id,
        "now": now,
        "nodes": node_params,
        "events": [
            {"n": n, "type": type, "data": dumps(data)}
            for n, (type, data) in enumerate(events, start=1)
        ],
    }


def node_content(node: NodeUpdate) -> dict[str, Any]:
    """A node execution's stored fields (JSON values as text), without run and id."""
    content = msgspec.structs.asdict(node)
    return {**content, "inputs": dumps_or_none(node.inputs), "outputs": dumps_or_none(node.outputs)}


class SurrealRunEvents:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def append(self, run_id: str, type: str, data: dict[str, Any] | None = None) -> int:
        return (await self.append_many(run_id, [(type, data or {})]))[0]

    async def append_many(
        self,
        run_id: str,
        events: Sequence[NewEvent],
        *,
        nodes: Sequence[NodeUpdate] = (),
        mark_running: bool = False,
    ) -> builtins.list[int]:
        if not events and not nodes and not mark_running:
            return []
        first = await self._db.transaction(
            f"{MARK_RUNNING if mark_running else ''}{append_statements(events, nodes)}"
            "RETURN $first;",
            log_params(run_id, events, nodes, time.time()),
        )
        if not events:
            return []
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

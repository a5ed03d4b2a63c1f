"""The append-only event log of each run in SQLite, and the node executions stored with it."""

from __future__ import annotations

import builtins
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from flowstead.store.codec import dumps, dumps_or_none, to_record
from flowstead.store.errors import NotFound
from flowstead.store.ids import new_id
from flowstead.store.protocol import NewEvent, NodeUpdate
from flowstead.store.records import RunEvent
from flowstead.store.sqlite.database import Database

UPSERT_NODE = (
    'INSERT INTO node_executions (id, run_id, node_id, "index", node_type,'
    " title, status, inputs, outputs, error, started_at, finished_at,"
    " tokens, attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ' ON CONFLICT (run_id, node_id, "index") DO UPDATE SET'
    " node_type = excluded.node_type, title = excluded.title,"
    " status = excluded.status, inputs = excluded.inputs,"
    " outputs = excluded.outputs, error = excluded.error,"
    " started_at = excluded.started_at, finished_at = excluded.finished_at,"
    " tokens = excluded.tokens, attempt = excluded.attempt"
)
MARK_RUNNING = (
    "UPDATE runs SET status = 'running', started_at = coalesce(started_at, ?) WHERE id = ?"
)
_LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM run_events WHERE run_id = ?"
_INSERT_EVENT = (
    "INSERT INTO run_events (run_id, seq, type, data, created_at) VALUES (?, ?, ?, ?, ?)"
)


def node_params(run_id: str, node: NodeUpdate) -> tuple[Any, ...]:
    """The parameters of `UPSERT_NODE` for one node execution."""
    return (
        new_id(),
        run_id,
        node.node_id,
        node.index,
        node.node_type,
        node.title,
        node.status,
        dumps_or_none(node.inputs),
        dumps_or_none(node.outputs),
        node.error,
        node.started_at,
        node.finished_at,
        node.tokens,
        node.attempt,
    )


def append_events(
    conn: sqlite3.Connection,
    run_id: str,
    encoded: Sequence[tuple[str, str]],
    nodes: Sequence[NodeUpdate],
    now: float,
) -> builtins.list[int]:
    """Inside a write transaction: record `nodes`, then append the (type, JSON) events.

    The transaction holds the database's write lock, so the max read here is still the
    max when the rows land, whichever process writes next."""
    try:
        if nodes:
            conn.executemany(UPSERT_NODE, [node_params(run_id, node) for node in nodes])
        if not encoded:
            return []
        last = int(conn.execute(_LAST_SEQ, (run_id,)).fetchall()[0][0])
        conn.executemany(
            _INSERT_EVENT,
            [
                (run_id, last + i, type, data, now)
                for i, (type, data) in enumerate(encoded, start=1)
            ],
        )
    except sqlite3.IntegrityError as exc:
        raise NotFound("run", run_id) from exc
    return list(range(last + 1, last + len(encoded) + 1))


class SqliteRunEvents:
    def __init__(self, db: Database) -> None:
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
        now = time.time()
        encoded = [(type, dumps(data)) for type, data in events]

        def append(conn: sqlite3.Connection) -> builtins.list[int]:
            if mark_running and not conn.execute(MARK_RUNNING, (now, run_id)).rowcount:
                raise NotFound("run", run_id)
            return append_events(conn, run_id, encoded, nodes, now)

        return await self._db.run(append)

    async def read(
        self, run_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> builtins.list[RunEvent]:
        rows = await self._db.select(
            "SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (run_id, after_seq, limit),
        )
        return [to_record(RunEvent, row, ("data",)) for row in rows]

    async def last_seq(self, run_id: str) -> int:
        row = await self._db.select_one(_LAST_SEQ, (run_id,))
        return 0 if row is None else int(row[0])

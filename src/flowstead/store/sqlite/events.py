"""The append-only event log of each run in SQLite."""

from __future__ import annotations

import builtins
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from flowstead.store.codec import dumps, to_record
from flowstead.store.errors import NotFound
from flowstead.store.records import RunEvent
from flowstead.store.sqlite.database import Database


class SqliteRunEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, run_id: str, type: str, data: dict[str, Any] | None = None) -> int:
        try:
            rows = await self._db.write(
                "INSERT INTO run_events (run_id, seq, type, data, created_at)"
                " SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, ? FROM run_events WHERE run_id = ?"
                " RETURNING seq",
                (run_id, type, dumps(data or {}), time.time(), run_id),
            )
        except sqlite3.IntegrityError as exc:
            raise NotFound("run", run_id) from exc
        return int(rows[0][0])

    async def append_many(
        self, run_id: str, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> builtins.list[int]:
        if not events:
            return []
        now = time.time()
        encoded = [(type, dumps(data)) for type, data in events]
        try:
            # BEGIN IMMEDIATE holds the database write lock, so the max read here is
            # still the max when the rows land, whichever process writes next.
            async with self._db.transaction() as conn:
                rows = list(
                    await conn.execute_fetchall(
                        "SELECT coalesce(max(seq), 0) FROM run_events WHERE run_id = ?",
                        (run_id,),
                    )
                )
                last = int(rows[0][0])
                await conn.executemany(
                    "INSERT INTO run_events (run_id, seq, type, data, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [
                        (run_id, last + i, type, data, now)
                        for i, (type, data) in enumerate(encoded, start=1)
                    ],
                )
        except sqlite3.IntegrityError as exc:
            raise NotFound("run", run_id) from exc
        return list(range(last + 1, last + len(events) + 1))

    async def read(
        self, run_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> builtins.list[RunEvent]:
        rows = await self._db.fetch_all(
            "SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (run_id, after_seq, limit),
        )
        return [to_record(RunEvent, row, ("data",)) for row in rows]

    async def last_seq(self, run_id: str) -> int:
        row = await self._db.fetch_one(
            "SELECT coalesce(max(seq), 0) FROM run_events WHERE run_id = ?", (run_id,)
        )
        return 0 if row is None else int(row[0])

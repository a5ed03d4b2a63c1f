"""The SQLite connections of one process: one writer behind a lock, one reader.

Multi-statement writes run in `BEGIN IMMEDIATE` transactions, which take SQLite's write
lock up front, so writers in other processes wait (busy_timeout) instead of failing
mid-transaction. Reads go to a separate connection and, under WAL, never wait for writers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from flowstead.store.errors import StoreError

BUSY_TIMEOUT_MS = 30_000

Params = Sequence[Any] | dict[str, Any]


class Database:
    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database file and bring its schema up to date."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await _use_wal(writer)
            reader = await _connect(path, "query_only = ON")
        except BaseException:
            await writer.close()
            raise
        db = cls(writer, reader)
        try:
            await db.migrate()
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer inside `BEGIN IMMEDIATE`; commits on success, rolls back on error."""
        async with self._lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                yield self._writer
                await self._writer.execute("COMMIT")
            except BaseException:
                # Shielded: a cancelled BEGIN still runs in the driver thread, and the
                # writer must never be left inside a transaction.
                await asyncio.shield(self._rollback())
                raise

    async def _rollback(self) -> None:
        try:
            await self._writer.execute("ROLLBACK")
        except sqlite3.OperationalError:
            if self._writer.in_transaction:
                raise

    async def write(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run one writing statement as its own transaction; returns its RETURNING rows.

        A lone statement in autocommit mode takes the write lock before it reads, so it
        is as safe as `BEGIN IMMEDIATE`, in one round trip to the driver thread."""
        async with self._lock:
            return list(await self._writer.execute_fetchall(sql, params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self._reader.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def migrate(self) -> list[int]:
        """Apply the numbered migrations not yet recorded; returns the versions applied."""
        applied: list[int] = []
        async with self.transaction() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            done = {row[0] for row in await conn.execute_fetchall(_APPLIED)}
            for version, name, script in _migrations():
                if version in done:
                    continue
                for statement in split_statements(script):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, time.time()),
                )
                applied.append(version)
        return applied


_APPLIED = "SELECT version FROM schema_migrations"


async def _connect(path: Path, *pragmas: str) -> aiosqlite.Connection:
    """A connection in autocommit mode (transactions are explicit) with our pragmas."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        for pragma in (
            f"busy_timeout = {BUSY_TIMEOUT_MS}",
            "foreign_keys = ON",
            # WAL with NORMAL survives a crash of the process; a power cut may lose the
            # last commits but never corrupts the file.
            "synchronous = NORMAL",
            *pragmas,
        ):
            await conn.execute_fetchall(f"PRAGMA {pragma}")
    except BaseException:
        await conn.close()
        raise
    return conn


async def _use_wal(conn: aiosqlite.Connection) -> None:
    """Switch the file to WAL (a no-op once done). The switch needs the file to itself and
    does not wait through busy_timeout, so retry while another connection is busy."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)
            continue
        if rows[0][0] != "wal":
            raise StoreError(f"SQLite refused WAL mode (journal_mode is {rows[0][0]})")
        return


def _migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of `migrations/NNNN_*.sql`, in order."""
    folder = resources.files(__package__).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text()))
    return sorted(found)


def split_statements(script: str) -> list[str]:
    """Split a SQL script into complete statements (so they can run inside a transaction)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not _only_comments(buffer):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return [s for s in statements if not _only_comments(s)]


def _only_comments(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())

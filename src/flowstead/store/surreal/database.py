"""One SurrealDB connection (server or embedded engine) and the rules for talking to it.

SDK 2.0.0 notes this module works around: `query()` reports only the first statement and
hides later errors, so every statement's status from `query_raw()` is checked;
`begin()/commit()` do not work embedded, so transactions are `BEGIN…COMMIT` in SurrealQL;
writes in one process are serialized by a lock, and a write that lost an optimistic
conflict to another process (server mode) is retried.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from surrealdb import AsyncSurreal, RecordID

from flowstead.store.errors import Conflict, NotFound, StoreError

_NOT_EXECUTED = "The query was not executed due to a failed transaction"
_RETRYABLE = "can be retried"
_NOT_FOUND = "not_found:"
_CONFLICT_ATTEMPTS = 20


@dataclass(frozen=True)
class SurrealTarget:
    """Where to connect: an SDK URL plus namespace, database and root credentials."""

    url: str
    namespace: str = "flowstead"
    database: str = "flowstead"
    username: str | None = None
    password: str | None = None
    path: Path | None = None


def rid(table: str, key: Any) -> RecordID:
    return RecordID(table, key)


def plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its RecordID `id` turned into the plain string key."""
    record_id = row.get("id")
    if isinstance(record_id, RecordID):
        return {**row, "id": record_id.id}
    return row


class SurrealDatabase:
    def __init__(self, connection: Any, lock_file: int | None) -> None:
        self._connection = connection
        self._lock_file = lock_file
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, target: SurrealTarget) -> SurrealDatabase:
        """Connect, select namespace and database, and apply pending migrations."""
        lock_file = _lock_exclusively(target.path) if target.path is not None else None
        connection = AsyncSurreal(target.url)
        db = cls(connection, lock_file)
        try:
            await connection.connect(target.url)
            if target.username is not None:
                await connection.signin(
                    {"username": target.username, "password": target.password or ""}
                )
            await connection.use(target.namespace, target.database)
            await db.migrate()
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        try:
            await self._connection.close()
        finally:
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None

    async def query(self, surql: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Run statements; return each one's result, raising if any failed."""
        try:
            response = await self._connection.query_raw(surql, params or {})
        except RuntimeError as exc:  # the embedded engine raises parse errors
            raise StoreError(str(exc)) from exc
        if response.get("error") is not None:  # a server reports them as an RPC error
            raise StoreError(str(response["error"]))
        statements = response.get("result") or []
        failures = [s["result"] for s in statements if s.get("status") == "ERR"]
        if failures:
            raise _error(failures)
        return [s["result"] for s in statements]

    async def select(self, surql: str, params: dict[str, Any] | None = None) -> list[Any]:
        """The rows of a one-statement read."""
        return list((await self.query(surql, params))[0] or [])

    async def write_rows(self, surql: str, params: dict[str, Any] | None = None) -> list[Any]:
        """The rows a one-statement write returns."""
        return list((await self.write(surql, params))[0] or [])

    async def write(self, surql: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Run writing statements, one writer at a time, retrying lost conflicts."""
        async with self._write_lock:
            for attempt in range(_CONFLICT_ATTEMPTS):
                try:
                    return await self.query(surql, params)
                except _Retryable:
                    await asyncio.sleep(0.001 * 2 ** min(attempt, 6))
            raise StoreError(f"gave up after {_CONFLICT_ATTEMPTS} write conflicts")

    async def transaction(self, body: str, params: dict[str, Any] | None = None) -> Any:
        """Run `body` (ending in a RETURN) as one transaction; return what it returns."""
        results = await self.write(f"BEGIN TRANSACTION;\n{body}\nCOMMIT TRANSACTION;", params)
        return results[-1]

    async def migrate(self) -> list[int]:
        """Apply the numbered migrations not yet recorded; returns the versions applied."""
        applied: list[int] = []
        for version, name, script in _migrations():
            if version in await self.select("SELECT VALUE record::id(id) FROM migration"):
                continue
            try:
                await self.transaction(
                    f"{script}\nCREATE $migration SET name = $name, applied_at = $now;"
                    "\nRETURN NONE;",
                    {"migration": rid("migration", version), "name": name, "now": time.time()},
                )
            except Conflict:  # another process applied it first
                continue
            applied.append(version)
        return applied


class _Retryable(StoreError):
    pass


def _error(failures: list[Any]) -> StoreError:
    """The most telling error among a failed query's statement errors."""
    messages = [str(f) for f in failures]
    causes = [m for m in messages if m != _NOT_EXECUTED] or messages
    message = causes[0]
    if any(_RETRYABLE in m for m in messages):
        return _Retryable(message)
    if _NOT_FOUND in message:
        kind, _, key = message.split(_NOT_FOUND, 1)[1].partition(":")
        return NotFound(kind.replace("_", " "), key)
    if "already exists" in message or "already contains" in message:
        return Conflict(message)
    return StoreError(message)


def _migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SurrealQL) of `migrations/NNNN_*.surql`, in order."""
    folder = resources.files(__package__).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".surql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text()))
    return sorted(found)


def _lock_exclusively(path: Path) -> int:
    """Hold a lock beside an embedded store: two processes on one store lose writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(
            f"{path} is already open in another process; an embedded SurrealDB store"
            " must have one process only (use a SurrealDB server to share it)"
        ) from None
    return fd

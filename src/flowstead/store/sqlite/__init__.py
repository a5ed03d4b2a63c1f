"""The embedded default: SQLite in WAL mode, one writer per process whose short writes are
grouped into shared transactions on the event loop (see `database.py`); aiosqlite threads
for long reads and bulk transactions."""

from __future__ import annotations

from flowstead.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]

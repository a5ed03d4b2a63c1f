"""The embedded default: SQLite through aiosqlite (WAL, one writer per process)."""

from __future__ import annotations

from flowstead.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]

"""Reading what a store actually wrote, below the Store port (for at-rest checks)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from flowstead.store import Store
from flowstead.store.sqlite import SqliteStore
from flowstead.store.surreal import SurrealStore


async def raw_rows(store: Store, table: str) -> list[dict[str, Any]]:
    """Every stored row of a table, as the database holds it."""
    if isinstance(store, SqliteStore):
        rows = await store._db.fetch_all(f"SELECT * FROM {table}")
        return [dict(row) for row in rows]
    assert isinstance(store, SurrealStore)
    return await store._db.select(f"SELECT * FROM {table}")


async def migrate_again(store: Store) -> list[int]:
    """Run the store's migration step once more; returns the versions it applied."""
    assert isinstance(store, SqliteStore | SurrealStore)
    return await store._db.migrate()


def files_contain(root: Path, needle: bytes) -> bool:
    """Whether any file under `root` holds `needle` verbatim."""
    return any(needle in path.read_bytes() for path in root.rglob("*") if path.is_file())


def sqlite_migrations(path: Path) -> list[int]:
    with closing(sqlite3.connect(path)) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_migrations")]


def table_name(store: Store, plural: str) -> str:
    """The table's name in this store: plural in SQLite, singular in SurrealDB."""
    return plural if isinstance(store, SqliteStore) else plural.removesuffix("s")

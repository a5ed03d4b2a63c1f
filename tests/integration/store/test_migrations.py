"""Migrations apply once: reopening, or two stores opening a fresh file at once, is safe."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flowstead.store import Store, StoreError, open_store
from flowstead.store.sqlite import SqliteStore
from tests.integration.store.conftest import Opener
from tests.integration.store.raw import migrate_again, raw_rows, sqlite_migrations


async def test_migrating_again_applies_nothing(store: Store) -> None:
    assert await migrate_again(store) == []


async def test_reopening_keeps_one_record_per_migration(reopen: Opener) -> None:
    async with await reopen() as store:
        workflow = await store.workflows.create(name="kept", document={})
    async with await reopen() as store:
        assert await store.workflows.get(workflow.id) is not None
        table = "schema_migrations" if isinstance(store, SqliteStore) else "migration"
        assert len(await raw_rows(store, table)) == 7


async def test_two_stores_opening_a_fresh_sqlite_file_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/flowstead.db"

    first, second = await asyncio.gather(open_store(url, tmp_path), open_store(url, tmp_path))

    async with first, second:
        workflow = await first.workflows.create(name="shared", document={})
        assert await second.workflows.get(workflow.id) is not None
    assert sqlite_migrations(tmp_path / "flowstead.db") == [1, 2, 3, 4, 5, 6, 7]


async def test_an_embedded_surreal_store_has_one_owner(tmp_path: Path) -> None:
    url = "surrealkv://surreal"
    async with await open_store(url, tmp_path):
        with pytest.raises(StoreError, match="already open"):
            await open_store(url, tmp_path)
    async with await open_store(url, tmp_path) as store:
        assert await store.meta.get("x") is None

"""The uploads repository on every adapter: SQLite, SurrealDB mem:// and surrealkv://."""

from __future__ import annotations

import pytest

from flowstead.store import Conflict, Store
from flowstead.store.ids import new_id
from flowstead.store.records import Upload
from tests.integration.store.conftest import Opener

MISSING = "00000000-0000-7000-8000-000000000000"


async def add(store: Store, name: str = "report.pdf") -> Upload:
    return await store.uploads.add(
        new_id(),
        name=name,
        size=2048,
        extension="pdf",
        mime_type="application/pdf",
        created_by="alice",
    )


async def test_an_upload_round_trips(store: Store) -> None:
    upload_id = new_id()
    added = await store.uploads.add(
        upload_id,
        name="Résumé — final.pdf",
        size=123_456,
        extension="pdf",
        mime_type="application/pdf",
        created_by="alice",
    )

    assert added.id == upload_id
    assert (added.name, added.size, added.extension) == ("Résumé — final.pdf", 123_456, "pdf")
    assert (added.mime_type, added.created_by) == ("application/pdf", "alice")
    assert added.created_at > 0
    assert await store.uploads.get(upload_id) == added


async def test_the_optional_fields_default_to_empty(store: Store) -> None:
    added = await store.uploads.add(new_id(), name="README", size=1)
    got = await store.uploads.get(added.id)
    assert got == added
    assert (added.extension, added.mime_type, added.created_by) == ("", "", "")


async def test_an_unknown_upload_reads_as_none(store: Store) -> None:
    assert await store.uploads.get(MISSING) is None
    assert await store.uploads.delete(MISSING) is False


async def test_an_id_is_recorded_once(store: Store) -> None:
    first = await add(store, "first.txt")
    with pytest.raises(Conflict):
        await store.uploads.add(first.id, name="second.txt", size=1)
    assert await store.uploads.get(first.id) == first


async def test_list_newest_first_with_paging(store: Store) -> None:
    added = [await add(store, f"file-{n}.txt") for n in range(4)]
    newest_first = [u.id for u in reversed(added)]

    assert [u.id for u in await store.uploads.list()] == newest_first
    assert [u.id for u in await store.uploads.list(limit=2, offset=1)] == newest_first[1:3]
    assert await store.uploads.list(offset=10) == []


async def test_delete_forgets_only_that_upload(store: Store) -> None:
    kept, gone = await add(store, "kept.txt"), await add(store, "gone.txt")

    assert await store.uploads.delete(gone.id) is True
    assert await store.uploads.delete(gone.id) is False
    assert await store.uploads.get(gone.id) is None
    assert await store.uploads.list() == [kept]


async def test_uploads_survive_reopening(reopen: Opener) -> None:
    async with await reopen() as store:
        added = await add(store)
    async with await reopen() as store:
        assert await store.uploads.get(added.id) == added

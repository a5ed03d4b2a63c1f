"""A real `flowstead worker` process ingests the documents the knowledge service queues."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowstead.knowledge.embedding import embedders
from flowstead.services.knowledge import KnowledgeService, KnowledgeSettings, Upload
from flowstead.services.notify import Notifier
from flowstead.settings import Settings
from flowstead.store import Store, open_store
from tests.integration.knowledge.conftest import NoProviders
from tests.integration.knowledge.samples import GARDEN_MD, PRINTER_TXT
from tests.integration.worker.conftest import WAIT, WorkerProcess


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path / "data")


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[tuple[Store, KnowledgeService]]:
    settings.data_dir.mkdir(parents=True)
    async with (
        await open_store(settings.database_url, settings.data_dir) as store,
        Notifier.for_data_dir(settings.data_dir) as notifier,
    ):
        yield store, KnowledgeService(store, notifier, settings.data_dir, embedders(NoProviders()))


async def test_uploads_are_ingested_by_a_worker_process(
    settings: Settings, service: tuple[Store, KnowledgeService], tmp_path: Path
) -> None:
    store, knowledge = service
    worker = WorkerProcess(settings, tmp_path / "worker.log", grace_seconds=1.0)
    try:
        kb = await knowledge.create(KnowledgeSettings(name="Home"))
        documents = await knowledge.upload(
            kb.id, [Upload("garden.md", GARDEN_MD), Upload("printer.txt", PRINTER_TXT)]
        )
        assert await statuses(store, [d.id for d in documents]) == {"ready"}
    finally:
        worker.close()

    found = await knowledge.query(kb.id, "toner cartridge", top_k=1)
    assert [f.document for f in found] == ["printer.txt"]


async def statuses(store: Store, document_ids: list[str]) -> set[str]:
    """The documents' statuses once none is queued or processing (within `WAIT`)."""
    async with asyncio.timeout(WAIT):
        while True:
            found = [await store.documents.get(d) for d in document_ids]
            current = {d.status for d in found if d is not None}
            if current <= {"ready", "failed"}:
                return current
            await asyncio.sleep(0.05)

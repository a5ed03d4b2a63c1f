"""The labelled set (tests/integration/knowledge/labelled.py) ingested into a fresh store
with the built-in model: what the knowledge benchmarks measure recall on."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.knowledge.conftest import NoProviders
from tests.integration.knowledge.labelled import half, load

from flowstead.knowledge.embedding import EmbedderFor, embedders
from flowstead.knowledge.files import DocumentFiles
from flowstead.knowledge.ingest import Ingestor
from flowstead.providers.http import HttpxHttpClient
from flowstead.store import Store, open_store
from flowstead.store.records import KnowledgeBase

BACKENDS = {"sqlite": "sqlite:///{dir}/flowstead.db", "surreal-mem": "mem://"}


@dataclass(frozen=True)
class LabelledBase:
    store: Store
    kb: KnowledgeBase
    embedder_for: EmbedderFor
    # The part's documents and queries.
    data: dict[str, Any]


@asynccontextmanager
async def labelled_base(backend: str, part: str) -> AsyncIterator[LabelledBase]:
    """`part` ("tuning", "held-out" or "all") of the labelled set, ingested into a store of
    `backend` in a temporary data dir that goes when the block ends."""
    data = load() if part == "all" else half("tuning" if part == "tuning" else "held-out")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        async with (
            await open_store(BACKENDS[backend].format(dir=data_dir), data_dir) as store,
            HttpxHttpClient() as http,
        ):
            files = DocumentFiles(data_dir)
            embedder_for = embedders(NoProviders())
            ingestor = Ingestor(store, files, http, embedder_for, max_bytes=1 << 24)
            kb = await store.knowledge_bases.create(name="stdlib")
            for document in data["documents"]:
                added = await store.documents.add(
                    kb_id=kb.id, name=document["name"], source="upload"
                )
                await files.save(kb.id, added.id, document["text"].encode())
                assert (await ingestor.ingest(added.id)).status == "ready"
            yield LabelledBase(store, kb, embedder_for, data)

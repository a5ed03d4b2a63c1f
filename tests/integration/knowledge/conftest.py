"""A store on each adapter (SQLite file, SurrealDB mem://), document files in a temporary
data dir, a real HTTP client, and an ingestor with the built-in embedding model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from flowstead.engine.ports import LLMError
from flowstead.knowledge.embedding import EmbedderFor, embedders
from flowstead.knowledge.files import DocumentFiles
from flowstead.knowledge.ingest import Ingestor
from flowstead.knowledge.retrieval import KnowledgeRetriever
from flowstead.providers.http import HttpxHttpClient
from flowstead.store import Store, open_store
from flowstead.store.records import KnowledgeBase, KnowledgeDocument
from tests.fakes.fixtures import echo_server as echo_server
from tests.fakes.fixtures import openai_server as openai_server
from tests.fakes.pages import PageServer

BACKENDS = {"sqlite": "sqlite:///{dir}/flowstead.db", "surreal-mem": "mem://"}
MAX_BYTES = 64 * 1024


class NoProviders:
    """The router for tests that only use the built-in model."""

    async def embed(self, provider_id: str, model: str, texts: list[str]) -> list[list[float]]:
        raise LLMError(provider_id, model, "no providers in this test")


@pytest.fixture(params=list(BACKENDS))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = BACKENDS[str(request.param)].format(dir=tmp_path)
    async with await open_store(url, tmp_path) as opened:
        yield opened


@pytest.fixture
def files(tmp_path: Path) -> DocumentFiles:
    return DocumentFiles(tmp_path)


@pytest.fixture
async def http() -> AsyncIterator[HttpxHttpClient]:
    async with HttpxHttpClient() as client:
        yield client


@pytest.fixture
def embedder_for() -> EmbedderFor:
    return embedders(NoProviders())


@pytest.fixture
def ingestor(
    store: Store, files: DocumentFiles, http: HttpxHttpClient, embedder_for: EmbedderFor
) -> Ingestor:
    return Ingestor(store, files, http, embedder_for, max_bytes=MAX_BYTES, progress_seconds=0)


@pytest.fixture
def retriever(store: Store, embedder_for: EmbedderFor) -> KnowledgeRetriever:
    return KnowledgeRetriever(store, embedder_for)


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    with PageServer({}) as server:
        yield server


async def add_file(
    store: Store,
    files: DocumentFiles,
    kb: KnowledgeBase,
    name: str,
    data: bytes,
    *,
    content_type: str = "",
    metadata: dict[str, object] | None = None,
) -> KnowledgeDocument:
    """A document as an upload makes it: recorded, its bytes kept under the data dir."""
    document = await store.documents.add(
        kb_id=kb.id,
        name=name,
        source="upload",
        content_type=content_type,
        size=len(data),
        metadata=metadata,
    )
    await files.save(kb.id, document.id, data)
    return document


async def ingest_all(ingestor: Ingestor, documents: Sequence[KnowledgeDocument]) -> None:
    for document in documents:
        await ingestor.ingest(document.id)

"""Hybrid retrieval on both stores: ranking, modes, threshold, filters, names, models."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowstead.knowledge.embedding import embedders
from flowstead.knowledge.files import DocumentFiles
from flowstead.knowledge.fusion import K
from flowstead.knowledge.ingest import Ingestor
from flowstead.knowledge.retrieval import KnowledgeRetriever, UnknownKnowledgeBase
from flowstead.providers.config import ProviderConfig
from flowstead.providers.http import HttpxHttpClient
from flowstead.providers.router import ProviderRouter
from flowstead.services.collaborators import open_collaborators
from flowstead.store import Store
from flowstead.store.records import KnowledgeBase, RetrievalSettings
from tests.fakes.models import FakeModelServer
from tests.integration.knowledge.conftest import add_file, ingest_all
from tests.integration.knowledge.samples import BIKE_HTML, GARDEN_MD, PRINTER_TXT


async def home(
    store: Store,
    files: DocumentFiles,
    ingestor: Ingestor,
    retrieval: RetrievalSettings | None = None,
) -> KnowledgeBase:
    """'Home': a garden guide (English), printer manual (English), bike page (French tag)."""
    kb = await store.knowledge_bases.create(
        name="Home", chunk_size=300, chunk_overlap=0, retrieval=retrieval
    )
    documents = [
        await add_file(store, files, kb, "garden.md", GARDEN_MD, metadata={"lang": "en"}),
        await add_file(store, files, kb, "printer.txt", PRINTER_TXT, metadata={"lang": "en"}),
        await add_file(store, files, kb, "bike.html", BIKE_HTML, metadata={"lang": "fr"}),
    ]
    await ingest_all(ingestor, documents)
    return kb


async def test_hybrid_finds_the_passage_and_reports_each_method(
    store: Store, files: DocumentFiles, ingestor: Ingestor, retriever: KnowledgeRetriever
) -> None:
    kb = await home(store, files, ingestor)

    found = await retriever.search([kb], "how often should I water the tomatoes?", top_k=3)

    best = found[0]
    assert best.document == "garden.md"
    assert best.chunk.metadata["headings"] == ["Garden guide", "Tomatoes"]
    assert (best.text_rank, best.vector_rank) == (1, 1)
    assert best.score == pytest.approx(1.0)
    assert best.text_score is not None
    assert best.text_score > 0
    assert best.vector_score is not None
    assert 0 < best.vector_score <= 1
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    assert all(f.knowledge_base == "Home" for f in found)


async def test_each_method_alone(
    store: Store, files: DocumentFiles, ingestor: Ingestor, retriever: KnowledgeRetriever
) -> None:
    kb = await home(store, files, ingestor)

    text = await retriever.search([kb], "toner cartridge", top_k=5, mode="text")
    vector = await retriever.search([kb], "toner cartridge", top_k=5, mode="vector")

    assert [f.document for f in text] == ["printer.txt"]
    assert text[0].vector_rank is None
    assert text[0].score == pytest.approx(1.0)
    assert vector[0].document == "printer.txt"
    assert len(vector) == 5
    assert all(f.text_rank is None for f in vector)


async def test_top_k_threshold_and_filters(
    store: Store, files: DocumentFiles, ingestor: Ingestor, retriever: KnowledgeRetriever
) -> None:
    kb = await home(store, files, ingestor)
    query = "chain oil for the bicycle"

    assert len(await retriever.search([kb], query, top_k=2)) == 2
    assert await retriever.search([kb], query, top_k=5, score_threshold=1.01) == []
    only_best = await retriever.search([kb], query, top_k=5, score_threshold=0.99)
    assert [f.document for f in only_best] == ["bike.html"]
    english = await retriever.search([kb], query, top_k=10, filters={"lang": ["en"]})
    assert english
    assert {f.document for f in english} <= {"garden.md", "printer.txt"}
    garden = await retriever.search([kb], query, top_k=10, filters={"document": ["garden.md"]})
    assert {f.document for f in garden} == {"garden.md"}


async def test_with_the_built_in_model_full_text_decides_and_vectors_fill_in(
    store: Store, files: DocumentFiles, ingestor: Ingestor, retriever: KnowledgeRetriever
) -> None:
    kb = await home(store, files, ingestor)
    query = "toner cartridge"

    text = await retriever.search([kb], query, top_k=5, mode="text")
    hybrid = await retriever.search([kb], query, top_k=5)

    assert [f.chunk.id for f in hybrid[: len(text)]] == [f.chunk.id for f in text]
    fill_ins = hybrid[len(text) :]
    assert fill_ins
    assert all(f.text_rank is None and f.vector_rank is not None for f in fill_ins)
    assert [f.vector_rank for f in fill_ins] == sorted(f.vector_rank or 0 for f in fill_ins)
    assert all(f.score < 0.02 for f in fill_ins)


async def test_a_knowledge_base_sets_its_method_and_the_vectors_share(
    store: Store, files: DocumentFiles, ingestor: Ingestor, retriever: KnowledgeRetriever
) -> None:
    even = await home(store, files, ingestor, RetrievalSettings(vector_weight=0.5))
    query = "toner cartridge"

    found = await retriever.search([even], query, top_k=5)
    best = found[0]
    assert (best.text_rank, best.vector_rank) == (1, 1)
    assert best.score == pytest.approx(1.0)
    vector_only = [f for f in found if f.text_rank is None]
    assert vector_only
    assert vector_only[0].score == pytest.approx(0.5 * (K + 1) / (K + vector_only[0].vector_rank))

    await store.knowledge_bases.update(
        even.id,
        name=even.name,
        description=even.description,
        embedding_provider=None,
        embedding_model=None,
        chunk_size=even.chunk_size,
        chunk_overlap=even.chunk_overlap,
        separators=even.separators,
        retrieval=RetrievalSettings(mode="text"),
    )
    [kb] = await retriever.resolve(["Home"])
    assert all(f.vector_rank is None for f in await retriever.search([kb], query, top_k=5))
    # A search in one method overrides the knowledge base's own.
    vector = await retriever.search([kb], query, top_k=5, mode="vector")
    assert len(vector) == 5
    assert all(f.text_rank is None for f in vector)


async def test_the_retriever_port_names_knowledge_bases(
    store: Store, files: DocumentFiles, ingestor: Ingestor, retriever: KnowledgeRetriever
) -> None:
    await home(store, files, ingestor)

    chunks = await retriever.retrieve(
        ["Home", "Home"],
        "blank pages from the printer",
        top_k=2,
        score_threshold=None,
        filters={"lang": "en"},
    )

    assert chunks[0].document == "printer.txt"
    assert chunks[0].knowledge_base == "Home"
    assert chunks[0].metadata["lang"] == "en"
    text = await retriever.retrieve(
        ["Home"], "toner cartridge", top_k=5, score_threshold=None, mode="text"
    )
    vector = await retriever.retrieve(
        ["Home"], "toner cartridge", top_k=5, score_threshold=None, mode="vector"
    )
    assert [c.document for c in text] == ["printer.txt"]
    assert len(vector) == 5
    with pytest.raises(UnknownKnowledgeBase, match="no knowledge base named 'dataset-1234'"):
        await retriever.retrieve(["Home", "dataset-1234"], "x", top_k=2, score_threshold=None)


async def test_knowledge_bases_with_different_models_are_searched_together(
    store: Store, files: DocumentFiles, http: HttpxHttpClient, openai_server: FakeModelServer
) -> None:
    config = ProviderConfig(id="fake", kind="openai", base_url=openai_server.base_url)
    async with ProviderRouter({"fake": config}.get, {}.get) as router:
        embedder_for = embedders(router)
        ingestor = Ingestor(store, files, http, embedder_for, max_bytes=1 << 20)
        builtin = await store.knowledge_bases.create(name="Builtin")
        remote = await store.knowledge_bases.create(
            name="Remote", embedding_provider="fake", embedding_model="fake-embed"
        )
        await ingest_all(
            ingestor,
            [
                await add_file(store, files, builtin, "printer.txt", PRINTER_TXT),
                await add_file(store, files, remote, "garden.md", GARDEN_MD),
            ],
        )
        retriever = KnowledgeRetriever(store, embedder_for)

        found = await retriever.search([builtin, remote], "printer compost", top_k=10)

    remote_chunks = await store.chunks.list((await store.documents.list(remote.id))[0].id)
    assert all(c.embedding is not None and len(c.embedding) == 16 for c in remote_chunks)
    assert {f.knowledge_base for f in found} == {"Builtin", "Remote"}
    assert {f.knowledge_base for f in found if f.vector_rank is not None} == {"Builtin", "Remote"}


async def test_runs_get_the_real_retriever(
    store: Store, files: DocumentFiles, ingestor: Ingestor, tmp_path: Path
) -> None:
    await home(store, files, ingestor)

    async with open_collaborators(store, tmp_path, max_file_bytes=1024) as collaborators:
        chunks = await collaborators.retriever.retrieve(
            ["Home"], "compost heap", top_k=1, score_threshold=None
        )

    assert [c.document for c in chunks] == ["garden.md"]


async def test_without_an_embedder_ingestion_keeps_text_and_search_is_full_text(
    store: Store, files: DocumentFiles, http: HttpxHttpClient
) -> None:
    """Where the built-in model has no wheel, its knowledge bases still work, full-text."""
    ingestor = Ingestor(store, files, http, lambda kb: None, max_bytes=1 << 20)
    kb = await store.knowledge_bases.create(name="Plain")
    document = await add_file(store, files, kb, "printer.txt", PRINTER_TXT)

    result = await ingestor.ingest(document.id)
    found = await KnowledgeRetriever(store, lambda kb: None).search(
        [kb], "toner cartridge", top_k=3
    )

    assert result.status == "ready"
    assert all(c.embedding is None for c in await store.chunks.list(document.id))
    assert [(f.document, f.vector_rank) for f in found] == [("printer.txt", None)]
    assert found[0].score == pytest.approx(1.0)

"""Ingestion on both stores: every file type, bad input, URL imports, progress, retries."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from flowstead.engine.ports import LLMError
from flowstead.knowledge.files import DocumentFiles
from flowstead.knowledge.ingest import Ingestor
from flowstead.providers.http import HttpxHttpClient
from flowstead.store import Store
from flowstead.store.records import KnowledgeBase
from tests.fakes.echo import EchoServer
from tests.fakes.pages import PageServer
from tests.integration.knowledge.conftest import MAX_BYTES, add_file
from tests.integration.knowledge.samples import (
    BIKE_HTML,
    GARDEN_MD,
    PLANETS_JSON,
    PRINTER_TXT,
    SPICES_CSV,
    docx,
    pdf,
)


async def test_every_supported_type_becomes_embedded_chunks(
    store: Store, files: DocumentFiles, ingestor: Ingestor
) -> None:
    kb = await store.knowledge_bases.create(name="Home", chunk_size=200, chunk_overlap=20)
    samples = {
        "garden.md": GARDEN_MD,
        "printer.txt": PRINTER_TXT,
        "bike.html": BIKE_HTML,
        "spices.csv": SPICES_CSV,
        "planets.json": PLANETS_JSON,
        "knitting.docx": docx("Knit a scarf with merino wool.", "Block it when done."),
        "stars.pdf": pdf("Telescopes gather starlight with mirrors."),
    }
    documents = [await add_file(store, files, kb, name, data) for name, data in samples.items()]

    results = [await ingestor.ingest(document.id) for document in documents]

    assert [r.status for r in results] == ["ready"] * len(samples)
    for document, result in zip(documents, results, strict=True):
        stored = await store.documents.get(document.id)
        assert stored is not None
        assert (stored.status, stored.progress, stored.error) == ("ready", 1.0, None)
        chunks = await store.chunks.list(document.id)
        assert stored.chunk_count == result.chunks == len(chunks) > 0
        assert all(c.embedding is not None and len(c.embedding) == 64 for c in chunks)
        assert all(c.metadata["document"] == document.name for c in chunks)
    garden = await store.chunks.list(documents[0].id)
    assert [c.metadata["headings"] for c in garden] == [
        ["Garden guide"],
        ["Garden guide", "Tomatoes"],
        ["Garden guide", "Compost"],
    ]
    bike = await store.chunks.list(documents[2].id)
    assert "Oil the chain" in bike[0].content
    assert "hidden" not in bike[0].content


async def test_bad_input_fails_that_document_with_a_clear_error(
    store: Store, files: DocumentFiles, ingestor: Ingestor
) -> None:
    kb = await store.knowledge_bases.create(name="Mixed")
    good = await add_file(store, files, kb, "printer.txt", PRINTER_TXT)
    empty = await add_file(store, files, kb, "empty.txt", b"")
    broken = await add_file(store, files, kb, "broken.pdf", b"%PDF-1.4\nthis is not a pdf")
    unsupported = await add_file(store, files, kb, "tool.exe", b"MZ\x90\x00binary")
    blank = await add_file(store, files, kb, "blank.md", b"  \n\n  ")

    for document in (empty, good, broken, unsupported, blank):
        await ingestor.ingest(document.id)

    errors = {}
    for document in (empty, broken, unsupported, blank):
        stored = await store.documents.get(document.id)
        assert stored is not None
        assert stored.status == "failed"
        assert await store.chunks.list(document.id) == []
        errors[document.name] = stored.error or ""
    assert errors["empty.txt"] == "the file is empty"
    assert "not a readable PDF" in errors["broken.pdf"]
    assert "unsupported file type (.exe)" in errors["tool.exe"]
    assert errors["blank.md"] == "no text was found in blank.md"
    ready = await store.documents.get(good.id)
    assert ready is not None
    assert (ready.status, ready.chunk_count) == ("ready", 1)


async def test_a_url_import_is_fetched_kept_and_recorded(
    store: Store, files: DocumentFiles, ingestor: Ingestor, page_server: PageServer
) -> None:
    page_server.pages["/guides/bikes"] = ("text/html; charset=utf-8", BIKE_HTML)
    kb = await store.knowledge_bases.create(name="Web")
    url = f"{page_server.url}/guides/bikes"
    document = await store.documents.add(kb_id=kb.id, name="bikes", source=url)

    result = await ingestor.ingest(document.id)

    assert result.status == "ready"
    stored = await store.documents.get(document.id)
    assert stored is not None
    assert (stored.size, stored.content_type) == (len(BIKE_HTML), "text/html; charset=utf-8")
    assert await files.read(kb.id, document.id) == BIKE_HTML
    # A re-index reads the kept copy: the page may be gone by then.
    del page_server.pages["/guides/bikes"]
    assert (await ingestor.ingest(document.id)).status == "ready"
    assert "Oil the chain" in (await store.chunks.list(document.id))[0].content


async def test_url_imports_that_cannot_succeed_fail_at_once(
    store: Store, ingestor: Ingestor, echo_server: EchoServer
) -> None:
    kb = await store.knowledge_bases.create(name="Web")
    too_big = await store.documents.add(
        kb_id=kb.id, name="big", source=f"{echo_server.url}/bytes/{MAX_BYTES + 1}"
    )
    missing = await store.documents.add(
        kb_id=kb.id, name="gone", source=f"{echo_server.url}/status/404"
    )

    big_result = await ingestor.ingest(too_big.id, final_attempt=False)
    missing_result = await ingestor.ingest(missing.id, final_attempt=False)

    assert (big_result.status, missing_result.status) == ("failed", "failed")
    assert f"response larger than {MAX_BYTES} bytes" in (big_result.error or "")
    assert "answered HTTP 404" in (missing_result.error or "")


async def test_a_server_error_is_tried_again_until_the_last_attempt(
    store: Store, ingestor: Ingestor, echo_server: EchoServer
) -> None:
    kb = await store.knowledge_bases.create(name="Web")
    document = await store.documents.add(
        kb_id=kb.id, name="flaky", source=f"{echo_server.url}/status/503"
    )

    first = await ingestor.ingest(document.id, final_attempt=False)
    queued = await store.documents.get(document.id)
    last = await ingestor.ingest(document.id, final_attempt=True)
    failed = await store.documents.get(document.id)

    assert first.status == "retry"
    assert queued is not None
    assert queued.status == "queued"
    assert (queued.error or "").endswith("answered HTTP 503 (trying again)")
    assert last.status == "failed"
    assert failed is not None
    assert (failed.status, failed.error) == ("failed", last.error)


class FlakyEmbedder:
    """Fails with `status` (None: a transport failure), else 16-dim vectors, recording
    the document's progress at each call."""

    def __init__(self, store: Store, status: int | None = None) -> None:
        self.store = store
        self.status = status
        self.progress: list[float] = []
        self.document_id = ""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self.status is not None or self.document_id == "":
            raise LLMError("local", "embedder", "unavailable", status=self.status)
        document = await self.store.documents.get(self.document_id)
        assert document is not None
        self.progress.append(document.progress)
        return [[1.0, float(len(text))] + [0.0] * 14 for text in texts]


def flaky_ingestor(
    store: Store, files: DocumentFiles, http: HttpxHttpClient, embedder: FlakyEmbedder
) -> Ingestor:
    return Ingestor(
        store,
        files,
        http,
        lambda kb: embedder,
        max_bytes=MAX_BYTES,
        batch_size=2,
        progress_seconds=0,
    )


async def test_progress_rises_as_batches_are_embedded(
    store: Store, files: DocumentFiles, http: HttpxHttpClient
) -> None:
    embedder = FlakyEmbedder(store)
    kb = await store.knowledge_bases.create(name="Paced", chunk_size=100, chunk_overlap=0)
    text = "\n\n".join(
        f"Paragraph {n} talks about topic {n} at some length here." for n in range(9)
    )
    document = await add_file(store, files, kb, "long.txt", text.encode())
    embedder.document_id = document.id

    result = await flaky_ingestor(store, files, http, embedder).ingest(document.id)

    assert result.status == "ready"
    assert len(embedder.progress) == 5
    assert embedder.progress == sorted(embedder.progress)
    assert embedder.progress[0] == 0.1
    assert 0.1 < embedder.progress[-1] < 1.0


@pytest.mark.parametrize(("status", "outcome"), [(503, "retry"), (None, "retry"), (401, "failed")])
async def test_a_provider_failure_retries_only_when_it_may_pass(
    store: Store, files: DocumentFiles, http: HttpxHttpClient, status: int | None, outcome: str
) -> None:
    kb = await store.knowledge_bases.create(name="Remote")
    document = await add_file(store, files, kb, "printer.txt", PRINTER_TXT)

    result = await flaky_ingestor(store, files, http, FlakyEmbedder(store, status)).ingest(
        document.id, final_attempt=False
    )

    assert result.status == outcome
    assert "embedding failed: local (embedder): unavailable" in (result.error or "")


async def test_reingesting_replaces_the_chunks(
    store: Store, files: DocumentFiles, ingestor: Ingestor
) -> None:
    kb = await store.knowledge_bases.create(name="Home", chunk_size=1000, chunk_overlap=0)
    document = await add_file(store, files, kb, "garden.md", GARDEN_MD)
    await ingestor.ingest(document.id)
    before = await store.chunks.list(document.id)
    await _rechunk(store, kb, size=100)

    await ingestor.ingest(document.id)

    after = await store.chunks.list(document.id)
    assert len(after) > len(before)
    assert not {c.id for c in before} & {c.id for c in after}
    stored = await store.documents.get(document.id)
    assert stored is not None
    assert stored.chunk_count == len(after)


async def test_a_deleted_document_is_gone_not_failed(
    store: Store, files: DocumentFiles, ingestor: Ingestor
) -> None:
    kb = await store.knowledge_bases.create(name="Home")
    document = await add_file(store, files, kb, "printer.txt", PRINTER_TXT)
    await store.documents.delete(document.id)

    assert (await ingestor.ingest(document.id)).status == "gone"


async def _rechunk(store: Store, kb: KnowledgeBase, *, size: int) -> None:
    await store.knowledge_bases.update(
        kb.id,
        name=kb.name,
        description=kb.description,
        embedding_provider=kb.embedding_provider,
        embedding_model=kb.embedding_model,
        chunk_size=size,
        chunk_overlap=0,
        separators=kb.separators,
        retrieval=kb.retrieval,
    )

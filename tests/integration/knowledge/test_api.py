"""`/api/knowledge-bases` in-process on SQLite, with a worker that ingests on its own thread."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from flowstead.api.app import create_app
from flowstead.services.knowledge import open_ingestor
from flowstead.services.notify import Notifier
from flowstead.settings import Settings
from flowstead.store import open_store
from flowstead.store.protocol import INGEST_JOB_KIND
from flowstead.worker.ingestion import IngestionJobs
from flowstead.worker.worker import Worker
from tests.fakes.pages import PageServer
from tests.integration.api.conftest import ADMIN, PASSWORD, assert_error, on_a_thread
from tests.integration.knowledge.samples import BIKE_HTML, GARDEN_MD, PRINTER_TXT

Client = AsyncTestClient[Litestar]
# A bound for ingestion to finish; a test that reaches it has failed, not been slow.
WAIT = 30.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path, password=PASSWORD, max_upload_mb=1)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


async def _serve_worker(settings: Settings, stopping: asyncio.Event) -> None:
    store = await open_store(settings.database_url, settings.data_dir)
    async with (
        store,
        Notifier.for_data_dir(settings.data_dir) as notifier,
        open_ingestor(store, settings.data_dir, max_bytes=1 << 20) as ingestor,
    ):
        handlers = {INGEST_JOB_KIND: IngestionJobs(ingestor).handle}
        await Worker(store, notifier, handlers, lease_seconds=5.0, grace_seconds=1.0).run(stopping)


@pytest.fixture
def worker(settings: Settings, client: Client) -> Iterator[None]:
    """An ingesting worker, as a `flowstead worker` would be."""
    with on_a_thread(lambda stopping: _serve_worker(settings, stopping)):
        yield


async def create_kb(client: Client, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/knowledge-bases", json={"name": "Home", "chunk_size": 300} | fields, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def upload(
    client: Client, kb_id: str, files: list[tuple[str, bytes]], metadata: object = None
) -> list[dict[str, Any]]:
    response = await client.post(
        f"/api/knowledge-bases/{kb_id}/documents",
        files=[("file", (name, data, "application/octet-stream")) for name, data in files],
        data={} if metadata is None else {"metadata": json.dumps(metadata)},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    documents: list[dict[str, Any]] = response.json()
    return documents


async def settled(client: Client, kb_id: str) -> dict[str, dict[str, Any]]:
    """The knowledge base's documents by name, once none is queued or processing."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        response = await client.get(f"/api/knowledge-bases/{kb_id}/documents", headers=ADMIN)
        documents = {d["name"]: d for d in response.json()}
        if all(d["status"] in ("ready", "failed") for d in documents.values()):
            return documents
        assert asyncio.get_running_loop().time() < deadline, documents
        await asyncio.sleep(0.05)


async def query(client: Client, kb_id: str, **body: Any) -> list[dict[str, Any]]:
    response = await client.post(f"/api/knowledge-bases/{kb_id}/query", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def test_knowledge_bases_are_created_listed_and_checked(client: Client) -> None:
    kb = await create_kb(client, description="at home", separators=["\n\n", "\n"])

    assert kb["embedding_provider"] is None
    assert kb["separators"] == ["\n\n", "\n"]
    listed = (await client.get("/api/knowledge-bases", headers=ADMIN)).json()
    assert [k["name"] for k in listed] == ["Home"]
    assert (await client.get(f"/api/knowledge-bases/{kb['id']}", headers=ADMIN)).json() == kb
    assert_error(
        await client.post("/api/knowledge-bases", json={"name": "Home"}, headers=ADMIN), 409
    )
    small = await client.post(
        "/api/knowledge-bases", json={"name": "Tiny", "chunk_size": 10}, headers=ADMIN
    )
    assert "`chunk_size` must be from 100 to 8000" in assert_error(small, 400)
    unknown = await client.post(
        "/api/knowledge-bases",
        json={"name": "Remote", "embedding_provider": "nope", "embedding_model": "m"},
        headers=ADMIN,
    )
    assert "'nope' is not" in assert_error(unknown, 400)
    assert_error(await client.get("/api/knowledge-bases/missing", headers=ADMIN), 404)
    assert_error(await client.get("/api/knowledge-bases"), 401)


async def test_retrieval_settings_are_created_patched_and_checked(client: Client) -> None:
    kb = await create_kb(client)
    assert kb["retrieval"] == {"mode": "hybrid", "vector_weight": None}
    url = f"/api/knowledge-bases/{kb['id']}"

    text = await client.patch(url, json={"retrieval": {"mode": "text"}}, headers=ADMIN)
    weighted = await client.patch(url, json={"retrieval": {"vector_weight": 0.3}}, headers=ADMIN)
    too_much = await client.patch(url, json={"retrieval": {"vector_weight": 2}}, headers=ADMIN)
    unknown = await client.patch(url, json={"retrieval": {"mode": "semantic"}}, headers=ADMIN)
    by_model = await client.patch(url, json={"retrieval": {"vector_weight": None}}, headers=ADMIN)

    assert text.json()["retrieval"] == {"mode": "text", "vector_weight": None}
    assert weighted.json()["retrieval"] == {"mode": "text", "vector_weight": 0.3}
    assert "`retrieval.vector_weight` must be from 0" in assert_error(too_much, 400)
    assert_error(unknown, 400)
    assert by_model.json()["retrieval"] == {"mode": "text", "vector_weight": None}
    created = await client.post(
        "/api/knowledge-bases",
        json={"name": "Even", "retrieval": {"vector_weight": 0.5}},
        headers=ADMIN,
    )
    assert created.json()["retrieval"] == {"mode": "hybrid", "vector_weight": 0.5}


async def test_uploads_are_ingested_with_a_clear_error_per_bad_file(
    client: Client, worker: None, settings: Settings
) -> None:
    kb = await create_kb(client)

    queued = await upload(
        client,
        kb["id"],
        [
            ("garden.md", GARDEN_MD),
            ("printer.txt", PRINTER_TXT),
            ("empty.txt", b""),
            ("broken.pdf", b"%PDF-1.4 no pages at all"),
            ("tool.exe", b"MZ\x90\x00"),
        ],
        metadata={"lang": "en"},
    )

    assert [d["status"] for d in queued] == ["queued"] * 5
    documents = await settled(client, kb["id"])
    assert {name: d["status"] for name, d in documents.items()} == {
        "garden.md": "ready",
        "printer.txt": "ready",
        "empty.txt": "failed",
        "broken.pdf": "failed",
        "tool.exe": "failed",
    }
    assert documents["empty.txt"]["error"] == "the file is empty"
    assert "not a readable PDF" in documents["broken.pdf"]["error"]
    assert "unsupported file type (.exe)" in documents["tool.exe"]["error"]
    garden = documents["garden.md"]
    assert (garden["progress"], garden["chunk_count"], garden["metadata"]) == (
        1.0,
        3,
        {"lang": "en"},
    )
    kept = settings.data_dir / "uploads" / "knowledge" / kb["id"] / garden["id"]
    assert kept.read_bytes() == GARDEN_MD


async def test_chunk_preview_query_and_delete(client: Client, worker: None) -> None:
    kb = await create_kb(client)
    await upload(client, kb["id"], [("garden.md", GARDEN_MD), ("printer.txt", PRINTER_TXT)])
    garden = (await settled(client, kb["id"]))["garden.md"]
    chunks_url = f"/api/knowledge-bases/{kb['id']}/documents/{garden['id']}/chunks"

    page = (await client.get(f"{chunks_url}?limit=1&offset=1", headers=ADMIN)).json()
    results = await query(client, kb["id"], query="water the tomatoes", top_k=2)

    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [c["metadata"]["headings"] for c in page["chunks"]] == [["Garden guide", "Tomatoes"]]
    best = results[0]
    assert (best["document"], best["knowledge_base"], best["score"]) == ("garden.md", "Home", 1.0)
    assert best["text"]["rank"] == best["vector"]["rank"] == 1
    assert best["metadata"]["headings"] == ["Garden guide", "Tomatoes"]
    text_only = await query(client, kb["id"], query="toner", mode="text", top_k=5)
    assert [(r["document"], r["vector"]) for r in text_only] == [("printer.txt", None)]
    filtered = await query(
        client, kb["id"], query="toner", top_k=5, filters={"document": "garden.md"}
    )
    assert {r["document"] for r in filtered} == {"garden.md"}
    bad_filter = await client.post(
        f"/api/knowledge-bases/{kb['id']}/query",
        json={"query": "x", "filters": {"a": {"b": 1}}},
        headers=ADMIN,
    )
    assert "a value must be text, a number or true/false" in assert_error(bad_filter, 400)
    empty = await client.post(
        f"/api/knowledge-bases/{kb['id']}/query", json={"query": " "}, headers=ADMIN
    )
    assert assert_error(empty, 400) == "The query is empty."

    deleted = await client.delete(
        f"/api/knowledge-bases/{kb['id']}/documents/{garden['id']}", headers=ADMIN
    )

    assert deleted.status_code == 204
    after = await query(client, kb["id"], query="water the tomatoes", top_k=5)
    assert {r["document"] for r in after} == {"printer.txt"}
    assert_error(await client.get(chunks_url, headers=ADMIN), 404)


async def test_reindex_and_a_new_chunking_index_again(client: Client, worker: None) -> None:
    kb = await create_kb(client, chunk_size=1000, chunk_overlap=0)
    await upload(client, kb["id"], [("garden.md", GARDEN_MD)])
    before = (await settled(client, kb["id"]))["garden.md"]

    reindexed = await client.post(f"/api/knowledge-bases/{kb['id']}/reindex", headers=ADMIN)
    assert reindexed.status_code == 202
    assert [d["status"] for d in reindexed.json()] == ["queued"]
    assert (await settled(client, kb["id"]))["garden.md"]["chunk_count"] == before["chunk_count"]

    patched = await client.patch(
        f"/api/knowledge-bases/{kb['id']}", json={"chunk_size": 100}, headers=ADMIN
    )

    assert patched.status_code == 200, patched.text
    assert (patched.json()["chunk_size"], patched.json()["name"]) == (100, "Home")
    after = (await settled(client, kb["id"]))["garden.md"]
    assert after["chunk_count"] > before["chunk_count"]
    one = await client.post(
        f"/api/knowledge-bases/{kb['id']}/documents/{after['id']}/reindex", headers=ADMIN
    )
    assert one.status_code == 202
    renamed = await client.patch(
        f"/api/knowledge-bases/{kb['id']}", json={"name": "House"}, headers=ADMIN
    )
    assert renamed.json()["name"] == "House"


async def test_url_import_and_deleting_the_knowledge_base(
    client: Client, worker: None, settings: Settings
) -> None:
    kb = await create_kb(client)
    with PageServer({"/bikes": ("text/html", BIKE_HTML)}) as server:
        response = await client.post(
            f"/api/knowledge-bases/{kb['id']}/documents/import",
            json={"url": f"{server.url}/bikes", "metadata": {"source": "web"}},
            headers=ADMIN,
        )
        assert response.status_code == 201, response.text
        assert response.json()["name"] == "bikes"
        documents = await settled(client, kb["id"])
    assert documents["bikes"]["status"] == "ready"
    assert documents["bikes"]["content_type"] == "text/html"
    not_http = await client.post(
        f"/api/knowledge-bases/{kb['id']}/documents/import",
        json={"url": "file:///etc/passwd"},
        headers=ADMIN,
    )
    assert "Not an http(s) URL" in assert_error(not_http, 400)

    assert (
        await client.delete(f"/api/knowledge-bases/{kb['id']}", headers=ADMIN)
    ).status_code == 204

    assert not (settings.data_dir / "uploads" / "knowledge" / kb["id"]).exists()
    assert_error(await client.get(f"/api/knowledge-bases/{kb['id']}/documents", headers=ADMIN), 404)


async def test_an_upload_over_the_size_limit_is_refused(client: Client) -> None:
    kb = await create_kb(client)

    response = await client.post(
        f"/api/knowledge-bases/{kb['id']}/documents",
        files=[("file", ("big.txt", b"x" * (1024 * 1024 + 1), "text/plain"))],
        headers=ADMIN,
    )

    assert "larger than 1 MiB" in assert_error(response, 413)
    assert (
        await client.get(f"/api/knowledge-bases/{kb['id']}/documents", headers=ADMIN)
    ).json() == []
    no_files = await client.post(
        f"/api/knowledge-bases/{kb['id']}/documents", data={"x": "1"}, headers=ADMIN
    )
    assert "named `file`" in assert_error(no_files, 400)

"""The knowledge pages in the web app: list and create, upload, documents, chunks, query."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from flowstead.api.app import create_app
from flowstead.settings import Settings
from tests.integration.knowledge.samples import GARDEN_MD
from tests.integration.knowledge.test_api import WAIT
from tests.integration.knowledge.test_api import worker as worker

PASSWORD = "correct horse battery staple"

Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path, password=PASSWORD, max_upload_mb=1)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    """Logged in, like a browser."""
    async with AsyncTestClient(create_app(settings, web=True)) as test_client:
        token = _token((await test_client.get("/login")).text)
        form = {"password": PASSWORD, "_csrf": token, "next": "/"}
        assert (await test_client.post("/login", data=form)).status_code in (200, 303)
        yield test_client


def _token(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, html
    return found.group(1)


async def test_create_upload_preview_and_query(client: Client, worker: None) -> None:
    listing = await client.get("/knowledge")
    assert listing.status_code == 200
    assert "No knowledge bases yet" in listing.text
    token = _token(listing.text)
    headers = {"X-CSRF-Token": token}
    bad = await client.post("/knowledge", data={"name": "Tiny", "chunk_size": "10", "_csrf": token})
    assert bad.status_code == 400
    assert "must be from 100 to 8000" in bad.text

    created = await client.post(
        "/knowledge",
        data={"name": "Home", "chunk_size": "300", "_csrf": token},
        follow_redirects=False,
    )
    assert created.status_code == 303
    kb_url = created.headers["location"]
    uploaded = await client.post(
        f"{kb_url}/upload",
        files=[("file", ("garden.md", GARDEN_MD, "text/markdown"))],
        headers=headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert "garden.md" in uploaded.text

    documents = await _ready(client, kb_url)
    detail = await client.get(kb_url)
    query = await client.post(
        f"{kb_url}/query", data={"query": "water tomatoes", "mode": "hybrid"}, headers=headers
    )

    assert "Try a query" in detail.text
    link = re.search(rf'href="({kb_url}/documents/[^"]+)"', documents)
    assert link, documents
    chunks = await client.get(link.group(1))
    assert "Garden guide › Tomatoes" in chunks.text
    assert "3 chunks" in chunks.text
    assert "Water tomatoes deeply" in query.text
    assert "text #1" in query.text
    assert "vector #1" in query.text


async def test_retrieval_settings_on_create_and_on_the_knowledge_base_page(
    client: Client,
) -> None:
    token = _token((await client.get("/knowledge")).text)
    form = {"name": "Notes", "retrieval_mode": "text", "vector_weight": "0.2", "_csrf": token}
    created = await client.post("/knowledge", data=form, follow_redirects=False)
    kb_url = created.headers["location"]

    text_only = await client.get(kb_url)
    changed = await client.post(
        f"{kb_url}/retrieval",
        data={"retrieval_mode": "hybrid", "vector_weight": "", "_csrf": token},
        follow_redirects=False,
    )
    hybrid = await client.get(kb_url)
    refused = await client.post(
        f"{kb_url}/retrieval",
        data={"retrieval_mode": "hybrid", "vector_weight": "3", "_csrf": token},
    )

    assert created.status_code == 303
    assert "searched by full-text only." in text_only.text
    assert 'value="0.2"' in text_only.text
    assert changed.status_code == 303
    assert "vectors' share 0.01 (the model's default)" in hybrid.text
    assert refused.status_code == 400
    assert "`retrieval.vector_weight` must be from 0" in refused.text


async def _ready(client: Client, kb_url: str) -> str:
    """The documents partial once it stops polling (nothing queued or processing)."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        html = (await client.get(f"{kb_url}/documents")).text
        if "every 1s" not in html:
            return html
        assert asyncio.get_running_loop().time() < deadline, html
        await asyncio.sleep(0.05)

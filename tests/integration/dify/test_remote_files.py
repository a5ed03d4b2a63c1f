"""Remote files at URLs without an extension: the worker fetches them and the document
extractor reads them as the type the server said (its Content-Type), through real runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flowstead.store import Store
from tests.fakes.pages import PageServer
from tests.integration.api.conftest import Client, published_app
from tests.integration.api.conftest import worker as worker
from tests.integration.dify.test_files import (
    EXTRACT_DOCUMENT,
    SYS_FILES_DOCUMENT,
    outputs,
    run,
)
from tests.integration.knowledge.samples import pdf

MINUTES = "Minutes of the garden club"
NOTES = "Sow the beans after the last frost.\n"


@pytest.fixture
def served() -> Iterator[str]:
    """A web server on loopback whose URLs have no extension; yields its base URL."""
    pages = {
        "/download": ("application/pdf", pdf(MINUTES)),
        "/notes": ("text/plain; charset=utf-8", NOTES.encode()),
        "/blob": ("application/octet-stream", b"\x00\x01\x02"),
    }
    with PageServer(pages) as server:
        yield server.url


def remote(url: str) -> dict[str, Any]:
    return {"type": "document", "transfer_method": "remote_url", "url": url}


@pytest.mark.usefixtures("worker")
async def test_files_at_urls_without_an_extension_are_read_as_served(
    client: Client, served: str
) -> None:
    _workflow, key = await published_app(client, document=SYS_FILES_DOCUMENT)
    files = [remote(f"{served}/download?id=7"), remote(f"{served}/notes")]

    response = await run(client, key, files=files)

    assert outputs(response) == {"text": [MINUTES, NOTES]}


@pytest.mark.usefixtures("worker")
async def test_a_start_input_at_a_url_without_an_extension_is_read_as_served(
    client: Client, store: Store, served: str
) -> None:
    _workflow, key = await published_app(client, document=EXTRACT_DOCUMENT)
    url = f"{served}/download?id=7"

    response = await run(client, key, inputs={"doc": {"url": url}})

    assert outputs(response) == {"text": MINUTES}
    # Nothing said the type when the run was stored: it was learned on reading.
    [stored] = await store.runs.list()
    assert stored.inputs["doc"] == {"url": url}


@pytest.mark.usefixtures("worker")
async def test_a_file_served_as_mere_bytes_fails_saying_so(client: Client, served: str) -> None:
    _workflow, key = await published_app(client, document=EXTRACT_DOCUMENT)

    response = await run(client, key, inputs={"doc": remote(f"{served}/blob?id=1")})

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["status"] == "failed"
    assert "could not extract text from 'blob': unsupported file type" in data["error"]
    assert "application/octet-stream" in data["error"]

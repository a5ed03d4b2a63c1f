"""Remote files at URLs without an extension: the worker fetches them and the document
extractor reads them as the type the server said (its Content-Type), through real runs."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from flowstead.store import Store
from tests.integration.api.conftest import Client, published_app
from tests.integration.api.conftest import worker as worker
from tests.integration.dify.test_files import (
    EXTRACT_DOCUMENT,
    SYS_FILES_DOCUMENT,
    outputs,
    run,
)

MINUTES = "Minutes of the garden club"
NOTES = "Sow the beans after the last frost.\n"


def pdf_made_with_pypdf(text: str) -> bytes:
    """A one-page PDF showing `text`, written by pypdf itself."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): font})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    content = DecodedStreamObject()
    content.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    page.replace_contents(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def served() -> Iterator[str]:
    """A web server on loopback whose URLs have no extension; yields its base URL."""
    pages = {
        "/download": (pdf_made_with_pypdf(MINUTES), "application/pdf"),
        "/notes": (NOTES.encode(), "text/plain; charset=utf-8"),
        "/blob": (b"\x00\x01\x02", "application/octet-stream"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, content_type = pages.get(self.path.split("?")[0], (b"not here", "text/plain"))
            self.send_response(200 if self.path.split("?")[0] in pages else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


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

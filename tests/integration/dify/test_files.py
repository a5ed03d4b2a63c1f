"""`POST /v1/files/upload` and `/api/files`, and runs that read what was uploaded: Dify's
local_file and remote_url values in a run's inputs and files, through a worker."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowstead.services.files import upload_path, uploads_dir
from flowstead.services.uploads import UploadRefused, UploadService
from flowstead.settings import Settings
from flowstead.store import Store, StoreError, open_store
from tests.fakes.pages import PageServer
from tests.integration.api.conftest import (
    ADMIN,
    PASSWORD,
    Client,
    assert_error,
    published_app,
    snapshot,
)
from tests.integration.api.conftest import worker as worker
from tests.integration.knowledge.samples import pdf

UPLOAD = "/v1/files/upload"
MIB = 1024 * 1024
DIFY_FIELDS = {"id", "name", "size", "extension", "mime_type", "created_by", "created_at"}
NOTES = b"Water the tomatoes at dawn.\nTurn the compost every fortnight.\n"


def extractor_document(variable: str, *, start_inputs: list[Any], chat: bool = False) -> Any:
    """Start → document extractor reading `variable` → End with its `text` (in a chat,
    an Answer with the texts joined by " | ")."""
    last: dict[str, Any] = (
        {"id": "last", "type": "answer", "config": {"text": "{{ extract.text | join(' | ') }}"}}
        if chat
        else {
            "id": "last",
            "type": "end",
            "config": {"outputs": [{"name": "text", "value": "extract.text"}]},
        }
    )
    return {
        "flowstead": 1,
        "mode": "chat" if chat else "workflow",
        "nodes": [
            {"id": "start", "type": "start", "config": {"inputs": start_inputs}},
            {"id": "extract", "type": "document_extractor", "config": {"variable": variable}},
            last,
        ],
        "edges": [{"from": "start", "to": "extract"}, {"from": "extract", "to": "last"}],
    }


# A file input `doc`; the run's `files` (sys.files); a chat's files.
EXTRACT_DOCUMENT = extractor_document("start.doc", start_inputs=[{"name": "doc", "type": "file"}])
SYS_FILES_DOCUMENT = extractor_document("sys.files", start_inputs=[])
CHAT_DOCUMENT = extractor_document("sys.files", start_inputs=[], chat=True)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path, password=PASSWORD, max_upload_mb=1)


@pytest.fixture
async def key(client: Client) -> dict[str, str]:
    _workflow, headers = await published_app(client, document=EXTRACT_DOCUMENT)
    return headers


async def upload(
    client: Client,
    headers: dict[str, str],
    name: str = "notes.txt",
    data: bytes = NOTES,
    content_type: str = "text/plain",
    user: str = "alice",
) -> httpx.Response:
    files = {"file": (name, data, content_type)}
    return await client.post(UPLOAD, files=files, data={"user": user}, headers=headers)


async def uploaded(client: Client, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await upload(client, headers, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def kept_files(data_dir: Path) -> list[str]:
    """Every entry of the uploads folder, hidden ones (a write under way) included."""
    folder = uploads_dir(data_dir)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def assert_nothing_kept(store: Store, data_dir: Path) -> None:
    assert await store.uploads.list() == []
    assert kept_files(data_dir) == []


def multipart(parts: list[tuple[str, str | None, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart body of (field, file name, content type, data) parts, built by hand so
    a part can come without a Content-Type."""
    boundary = "flowstead-test-boundary"
    body = b""
    for field, filename, content_type, data in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        body += head.encode() + b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# Uploading


async def test_an_upload_answers_with_difys_shape_and_keeps_the_bytes(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    body = await uploaded(client, key)

    assert set(body) == DIFY_FIELDS
    assert (body["name"], body["size"], body["extension"]) == ("notes.txt", len(NOTES), "txt")
    assert (body["mime_type"], body["created_by"]) == ("text/plain", "alice")
    assert isinstance(body["created_at"], int)
    stored = await store.uploads.get(body["id"])
    assert stored is not None
    assert (stored.name, stored.size, stored.mime_type) == ("notes.txt", len(NOTES), "text/plain")
    path = upload_path(settings.data_dir, body["id"])
    assert path.read_bytes() == NOTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert kept_files(settings.data_dir) == [body["id"]]  # no temporary file left behind


async def test_a_name_keeps_only_its_last_part(client: Client, key: dict[str, str]) -> None:
    for sent in ("../../etc/report.pdf", "C:\\Users\\me\\report.pdf", " report.pdf "):
        body = await uploaded(client, key, name=sent, data=b"%PDF-1.4", content_type="")
        assert (body["name"], body["extension"]) == ("report.pdf", "pdf"), sent
        assert body["mime_type"] == "application/pdf"


async def test_the_type_is_the_parts_unless_it_only_says_bytes(
    client: Client, key: dict[str, str]
) -> None:
    named = await uploaded(
        client, key, name="Guide.MD", data=b"# Hi", content_type="application/octet-stream"
    )
    assert (named.get("extension"), named["mime_type"]) == ("md", "text/markdown")
    declared = await uploaded(client, key, name="export", data=b"a,b\n", content_type="text/csv")
    assert (declared["extension"], declared["mime_type"]) == ("", "text/csv")
    unknown = await uploaded(
        client, key, name="blob", data=b"\x00\x01", content_type="application/octet-stream"
    )
    assert unknown["mime_type"] == "application/octet-stream"


async def test_the_user_is_optional_as_in_dify(client: Client, key: dict[str, str]) -> None:
    response = await client.post(UPLOAD, files={"file": ("a.txt", b"a", "text/plain")}, headers=key)
    assert response.status_code == 201, response.text
    assert response.json()["created_by"] == ""


async def test_a_file_of_exactly_the_limit_is_kept(
    client: Client, key: dict[str, str], store: Store
) -> None:
    body = await uploaded(client, key, name="full.txt", data=b"x" * MIB)
    assert body["size"] == MIB
    assert await store.uploads.get(body["id"]) is not None


async def test_the_upload_route_needs_an_app_key(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    for headers in ({}, ADMIN, {"Authorization": "Bearer app-wrong"}):
        assert_error(await upload(client, headers), 401, "unauthorized")
    await assert_nothing_kept(store, settings.data_dir)


# Refusals: Dify's codes, and nothing kept


async def test_a_form_without_a_file_is_refused(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    assert_error(
        await client.post(UPLOAD, data={"user": "alice"}, headers=key), 400, "no_file_uploaded"
    )
    # `file` as a plain field, and a file under another name.
    text_field = await client.post(UPLOAD, data={"file": "notes", "user": "a"}, headers=key)
    assert_error(text_field, 400, "no_file_uploaded")
    other = await client.post(UPLOAD, files={"doc": ("a.txt", b"a", "text/plain")}, headers=key)
    message = assert_error(other, 400, "no_file_uploaded")
    assert message == "Please upload your file."
    assert_error(
        await client.post(UPLOAD, json={"user": "a"}, headers=key), 400, "no_file_uploaded"
    )
    await assert_nothing_kept(store, settings.data_dir)


async def test_two_files_are_refused(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    files = [("file", ("a.txt", b"a", "text/plain")), ("file", ("b.txt", b"b", "text/plain"))]
    response = await client.post(UPLOAD, files=files, headers=key)
    assert assert_error(response, 400, "too_many_files") == "Only one file is allowed."
    files = [("file", ("a.txt", b"a", "text/plain")), ("extra", ("b.txt", b"b", "text/plain"))]
    assert_error(await client.post(UPLOAD, files=files, headers=key), 400, "too_many_files")
    await assert_nothing_kept(store, settings.data_dir)


async def test_an_empty_file_is_refused(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    message = assert_error(await upload(client, key, data=b""), 400, "empty_file")
    assert "notes.txt" in message
    await assert_nothing_kept(store, settings.data_dir)


async def test_a_file_over_the_limit_is_refused(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    # Just over: the body is within the route's limit, the file is not.
    message = assert_error(await upload(client, key, data=b"x" * (MIB + 1)), 413, "file_too_large")
    assert "1 MiB" in message
    assert "FLOWSTEAD_MAX_UPLOAD_MB" in message
    # Far over: the body itself is refused.
    far = await upload(client, key, data=b"x" * (3 * MIB))
    assert "FLOWSTEAD_MAX_UPLOAD_MB" in assert_error(far, 413, "file_too_large")
    await assert_nothing_kept(store, settings.data_dir)


async def test_a_file_nothing_says_the_type_of_is_refused(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    body, content_type = multipart([("file", "blob", None, b"\x00\x01\x02")])
    headers = key | {"Content-Type": content_type}
    response = await client.post(UPLOAD, content=body, headers=headers)
    assert "blob" in assert_error(response, 415, "unsupported_file_type")
    await assert_nothing_kept(store, settings.data_dir)
    # Without a Content-Type, a name with a known extension is enough.
    body, content_type = multipart([("file", "notes.txt", None, NOTES)])
    named = await client.post(UPLOAD, content=body, headers=key | {"Content-Type": content_type})
    assert named.status_code == 201, named.text
    assert named.json()["mime_type"] == "text/plain"


async def test_an_oversized_body_is_refused_before_it_is_read(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    """Called as the server would call it, counting what the app reads of the body: an
    announced length over the limit reads none of it; a body streamed without a length
    is read only to just past the limit."""
    chunk = b"x" * (64 * 1024)
    boundary = b"flowstead-test-boundary"
    disposition = b'Content-Disposition: form-data; name="file"; filename="big.txt"'
    head = b"--" + boundary + b"\r\n" + disposition + b"\r\n\r\n"

    async def call(announced: int | None) -> tuple[int, dict[str, Any], int]:
        read = 0
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal read
            read += 1
            return {"type": "http.request", "body": head if read == 1 else chunk, "more_body": True}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        headers = [
            (b"authorization", key["Authorization"].encode()),
            (b"content-type", b"multipart/form-data; boundary=" + boundary),
        ]
        if announced is not None:
            headers.append((b"content-length", str(announced).encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": UPLOAD, "raw_path": UPLOAD.encode(),
            "root_path": "", "query_string": b"", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "state": {},
        }  # fmt: skip
        await client.app(scope, receive, send)  # type: ignore[arg-type]
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], httpx.Response(200, content=body).json(), read

    status, error, read = await call(announced=20 * MIB)
    assert (status, error["code"], read) == (413, "file_too_large", 0)
    status, error, read = await call(announced=None)
    assert (status, error["code"]) == (413, "file_too_large")
    limit_chunks = (MIB + 64 * 1024) // len(chunk)
    assert limit_chunks < read <= limit_chunks + 3
    await assert_nothing_kept(store, settings.data_dir)


async def test_a_failed_save_leaves_nothing_behind(tmp_path: Path) -> None:
    """No row without its bytes, no bytes without their row."""
    async with await open_store(f"sqlite:///{tmp_path}/flowstead.db", tmp_path) as store:
        # The bytes cannot be written: `uploads` is a file, not a folder.
        blocked = tmp_path / "blocked"
        blocked.mkdir()
        (blocked / "uploads").write_text("not a folder")
        with pytest.raises((FileExistsError, NotADirectoryError)):
            await UploadService(store, blocked, MIB).save("a.txt", b"a", "text/plain")
        assert await store.uploads.list() == []
        assert (blocked / "uploads").read_text() == "not a folder"
        # Refused before anything is written.
        service = UploadService(store, tmp_path, MIB)
        with pytest.raises(UploadRefused) as refused:
            await service.save("big.txt", b"x" * (MIB + 1), "text/plain")
        assert refused.value.code == "file_too_large"
        await assert_nothing_kept(store, tmp_path)
    # The row cannot be written: the store is closed. The bytes written are removed.
    with pytest.raises(StoreError):
        await service.save("a.txt", b"a", "text/plain")
    assert kept_files(tmp_path) == []


async def test_the_sweep_removes_only_old_files_no_upload_names(tmp_path: Path) -> None:
    async with await open_store(f"sqlite:///{tmp_path}/flowstead.db", tmp_path) as store:
        service = UploadService(store, tmp_path, MIB)
        kept = await service.save("kept.txt", b"kept", "text/plain")
        folder = tmp_path / "uploads"
        orphan, partial, young = folder / "0190aaaa-orphan", folder / ".upload-x.part", folder / "y"
        for path in (orphan, partial, young):
            path.write_bytes(b"left by a crash")
        knowledge = folder / "knowledge" / "kb" / "doc"
        knowledge.parent.mkdir(parents=True)
        knowledge.write_bytes(b"a knowledge document")
        hours_ago = time.time() - 2 * 3600
        for path in (orphan, partial, knowledge, folder / kept.id):
            os.utime(path, (hours_ago, hours_ago))

        assert await service.sweep_orphans() == 2

        assert sorted(p.name for p in folder.iterdir()) == sorted([kept.id, "knowledge", "y"])
        assert knowledge.exists()
        assert await service.sweep_orphans(older_than=0) == 1  # now "y" is old enough


# The admin API


async def test_the_admin_api_uploads_lists_and_deletes(
    client: Client, key: dict[str, str], store: Store, settings: Settings
) -> None:
    files = {"file": ("report.pdf", pdf("Quarterly figures"), "application/pdf")}
    response = await client.post("/api/files", files=files, headers=ADMIN)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == DIFY_FIELDS
    assert (body["name"], body["extension"], body["created_by"]) == ("report.pdf", "pdf", "admin")
    other = await uploaded(client, key)

    listed = (await client.get("/api/files", headers=ADMIN)).json()
    assert [f["id"] for f in listed] == [other["id"], body["id"]]
    one = await client.get(f"/api/files/{body['id']}", headers=ADMIN)
    assert one.json() == body

    assert (await client.delete(f"/api/files/{body['id']}", headers=ADMIN)).status_code == 204
    assert await store.uploads.get(body["id"]) is None
    assert kept_files(settings.data_dir) == [other["id"]]
    assert_error(await client.get(f"/api/files/{body['id']}", headers=ADMIN), 404)
    assert_error(await client.delete(f"/api/files/{body['id']}", headers=ADMIN), 404)
    assert_error(await client.post("/api/files", files=files, headers=key), 401)
    empty = await client.post("/api/files", data={"user": "x"}, headers=ADMIN)
    assert_error(empty, 400, "no_file_uploaded")


async def test_the_routes_are_in_the_openapi_schema(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {UPLOAD, "/api/files", "/api/files/{file_id}"} <= set(paths)
    assert "multipart" in paths[UPLOAD]["post"]["description"]


async def test_parameters_offer_both_ways_to_give_a_file(
    client: Client, key: dict[str, str]
) -> None:
    parameters = (await client.get("/v1/parameters", headers=key)).json()
    assert parameters["file_upload"]["enabled"] is True
    assert parameters["file_upload"]["allowed_file_upload_methods"] == ["local_file", "remote_url"]
    [control] = parameters["user_input_form"]
    assert control["file"]["allowed_file_upload_methods"] == ["local_file", "remote_url"]


# Runs that read uploads


async def run(client: Client, key: dict[str, str], **body: Any) -> httpx.Response:
    payload = {"user": "alice", "response_mode": "blocking"} | body
    return await client.post("/v1/workflows/run", json=payload, headers=key)


def local_file(upload_id: str, file_type: str = "document") -> dict[str, Any]:
    return {"type": file_type, "transfer_method": "local_file", "upload_file_id": upload_id}


def outputs(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    assert data["status"] == "succeeded", data
    found: dict[str, Any] = data["outputs"]
    return found


@pytest.mark.usefixtures("worker")
async def test_a_run_reads_an_uploaded_text_file(
    client: Client, key: dict[str, str], store: Store
) -> None:
    body = await uploaded(client, key)

    response = await run(client, key, inputs={"doc": local_file(body["id"])})

    assert outputs(response) == {"text": NOTES.decode()}
    [stored] = await store.runs.list()
    assert stored.inputs["doc"] == {
        "id": body["id"],
        "name": "notes.txt",
        "size": len(NOTES),
        "extension": ".txt",
        "mime_type": "text/plain",
        "type": "document",
        "transfer_method": "local_file",
    }


@pytest.mark.usefixtures("worker")
async def test_a_run_reads_an_uploaded_pdf(client: Client, key: dict[str, str]) -> None:
    body = await uploaded(
        client, key, name="figures.pdf", data=pdf("Revenue grew in spring"), content_type=""
    )
    assert body["mime_type"] == "application/pdf"

    response = await run(client, key, inputs={"doc": local_file(body["id"])})

    assert "Revenue grew in spring" in outputs(response)["text"]


@pytest.fixture
def web_files() -> Iterator[str]:
    """A web server on loopback serving a file; yields its base URL."""
    page = ("text/plain", b"# Release notes\n\nUploads work.\n")
    with PageServer({"/docs/release%20notes.md": page}) as server:
        yield server.url


@pytest.mark.usefixtures("worker")
async def test_a_run_reads_a_remote_url(
    client: Client, key: dict[str, str], store: Store, web_files: str
) -> None:
    url = f"{web_files}/docs/release%20notes.md?version=2"
    value = {"type": "document", "transfer_method": "remote_url", "url": url}

    response = await run(client, key, inputs={"doc": value})

    assert outputs(response) == {"text": "# Release notes\n\nUploads work.\n"}
    [stored] = await store.runs.list()
    assert stored.inputs["doc"] == {
        "url": url,
        "name": "release notes.md",
        "extension": ".md",
        "mime_type": "text/markdown",
        "type": "document",
        "transfer_method": "remote_url",
    }


@pytest.mark.usefixtures("worker")
async def test_files_become_sys_files(client: Client, web_files: str) -> None:
    _workflow, key = await published_app(client, document=SYS_FILES_DOCUMENT)
    body = await uploaded(client, key)
    remote = {"type": "custom", "transfer_method": "remote_url"}
    files = [local_file(body["id"]), remote | {"url": f"{web_files}/docs/release%20notes.md"}]

    response = await run(client, key, files=files)

    assert outputs(response) == {"text": [NOTES.decode(), "# Release notes\n\nUploads work.\n"]}


@pytest.mark.usefixtures("worker")
async def test_flowsteads_own_upload_id_is_filled_in(client: Client, key: dict[str, str]) -> None:
    body = await uploaded(client, key)
    response = await run(client, key, inputs={"doc": {"id": body["id"]}})
    assert outputs(response) == {"text": NOTES.decode()}


@pytest.mark.usefixtures("worker")
async def test_a_chat_message_reads_its_files(client: Client) -> None:
    _workflow, key = await published_app(client, document=CHAT_DOCUMENT)
    body = await uploaded(client, key)
    payload = {"query": "what does it say?", "user": "alice", "files": [local_file(body["id"])]}

    response = await client.post("/v1/chat-messages", json=payload, headers=key)

    assert response.status_code == 200, response.text
    assert response.json()["answer"] == NOTES.decode()


REMOTE = {"transfer_method": "remote_url"}
BAD_VALUES = [
    pytest.param(
        "inputs",
        {"doc": local_file("01a2034e-0000-7000-8000-000000000000")},
        ["`doc`", "no uploaded file 01a2034e-0000-7000-8000-000000000000"],
        id="unknown-upload",
    ),
    pytest.param(
        "inputs",
        {"doc": {"transfer_method": "local_file"}},
        ["`doc`", "upload_file_id"],
        id="no-upload-id",
    ),
    pytest.param(
        "inputs",
        {"doc": REMOTE | {"url": "file:///etc/passwd"}},
        ["`doc`", "http(s)"],
        id="not-http",
    ),
    pytest.param(
        "inputs",
        {"doc": {"transfer_method": "tool_file", "tool_file_id": "x"}},
        ["`doc`", "tool_file", "local_file or remote_url"],
        id="tool-file",
    ),
    pytest.param(
        "inputs",
        {"doc": REMOTE | {"type": "spreadsheet", "url": "https://example.com/a.xlsx"}},
        ["`doc`", "'spreadsheet'", "document, image, audio, video, custom"],
        id="unknown-type",
    ),
    pytest.param(
        "files",
        [{"transfer_method": "local_file", "upload_file_id": "nope"}],
        ["`files[0]`", "nope"],
        id="files-unknown-upload",
    ),
    pytest.param("files", [{"name": "no place"}], ["`files[0]`", "not a file"], id="not-a-file"),
    pytest.param("inputs", {"doc": {"id": "knowledge"}}, ["`doc`", "knowledge"], id="unknown-id"),
    pytest.param(
        "inputs", {"doc": {"url": "file:///etc/passwd"}}, ["`doc`", "http(s)"], id="own-url-file"
    ),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD_VALUES)
async def test_a_bad_file_value_is_refused_and_no_run_is_stored(
    client: Client, key: dict[str, str], store: Store, field: str, value: Any, words: list[str]
) -> None:
    before = await snapshot(store)

    message = assert_error(await run(client, key, **{field: value}), 400, "invalid_param")

    for word in words:
        assert word in message, message
    assert await snapshot(store) == before


async def test_an_unknown_upload_in_a_chat_stores_no_conversation(
    client: Client, store: Store
) -> None:
    _workflow, key = await published_app(client, document=CHAT_DOCUMENT)
    before = await snapshot(store)
    payload = {"query": "hi", "user": "alice", "files": [local_file("missing")]}
    response = await client.post("/v1/chat-messages", json=payload, headers=key)
    assert "`files[0]`" in assert_error(response, 400, "invalid_param")
    assert await snapshot(store) == before

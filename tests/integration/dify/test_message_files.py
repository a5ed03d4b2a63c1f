"""A chat turn's files in `GET /v1/messages` (`message_files`, Dify's shape) and an
upload's bytes from `GET /v1/files/{id}/preview`, which the message's `url` names: in
process, with a worker answering the turns."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.api.conftest import ADMIN, Client, assert_error, published_app
from tests.integration.api.conftest import worker as worker
from tests.integration.dify.test_files import local_file, uploaded

pytestmark = pytest.mark.usefixtures("worker")

Key = dict[str, str]
NOTES = "Café notes: water at dawn.\n".encode()
REMOTE_URL = "https://example.com/docs/Annual%20report.pdf?v=2"
# Start → Answer: the turn does not read its files, so a remote one is never fetched.
ECHO = {
    "flowstead": 1,
    "mode": "chat",
    "nodes": [
        {"id": "start", "type": "start", "config": {"inputs": []}},
        {"id": "answer", "type": "answer", "config": {"text": "Noted: {{ sys.query }}"}},
    ],
    "edges": [{"from": "start", "to": "answer"}],
}
DIFY_FILE_FIELDS = {
    "id",
    "filename",
    "type",
    "url",
    "mime_type",
    "size",
    "transfer_method",
    "belongs_to",
    "upload_file_id",
}


@pytest.fixture
async def app(client: Client) -> Key:
    _workflow, key = await published_app(client, document=ECHO)
    return key


async def say(client: Client, key: Key, query: str, **fields: Any) -> dict[str, Any]:
    body = {"query": query, "user": "alice", "response_mode": "blocking"} | fields
    response = await client.post("/v1/chat-messages", json=body, headers=key)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def messages(client: Client, key: Key, conversation_id: str) -> list[dict[str, Any]]:
    params = {"conversation_id": conversation_id, "user": "alice"}
    response = await client.get("/v1/messages", params=params, headers=key)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def sent(client: Client, key: Key, name: str, data: bytes, content_type: str) -> Any:
    """The `message_files` entry of an upload sent with a turn of its own."""
    upload = await uploaded(client, key, name=name, data=data, content_type=content_type)
    turn = await say(client, key, f"here is {name}", files=[local_file(upload["id"])])
    [message] = await messages(client, key, turn["conversation_id"])
    [file] = message["message_files"]
    return file


def preview(file_id: str) -> str:
    return f"/v1/files/{file_id}/preview"


async def test_a_turns_files_are_its_message_files(client: Client, app: Key) -> None:
    upload = await uploaded(
        client, app, name="notes café.md", data=NOTES, content_type="text/markdown"
    )
    remote = {"type": "document", "transfer_method": "remote_url", "url": REMOTE_URL}
    first = await say(client, app, "read these", files=[local_file(upload["id"]), remote])
    conversation_id = first["conversation_id"]
    second = await say(client, app, "thanks", conversation_id=conversation_id)

    with_files, without = await messages(client, app, conversation_id)

    assert (with_files["id"], without["id"]) == (first["id"], second["id"])
    assert without["message_files"] == []
    local, web = with_files["message_files"]
    assert set(local) == set(web) == DIFY_FILE_FIELDS
    assert local == {
        "id": upload["id"],
        "filename": "notes café.md",
        "type": "document",
        "url": f"http://testserver.local/v1/files/{upload['id']}/preview",
        "mime_type": "text/markdown",
        "size": len(NOTES),
        "transfer_method": "local_file",
        "belongs_to": "user",
        "upload_file_id": upload["id"],
    }
    assert web == {
        "id": web["id"],
        "filename": "Annual report.pdf",
        "type": "document",
        "url": REMOTE_URL,
        "mime_type": "application/pdf",
        "size": None,
        "transfer_method": "remote_url",
        "belongs_to": "user",
        "upload_file_id": None,
    }
    assert uuid.UUID(web["id"]).version == 5
    # The same id every time the message is listed.
    again = await messages(client, app, conversation_id)
    assert again[0]["message_files"][1]["id"] == web["id"]


async def test_a_message_files_url_gives_the_uploads_bytes(client: Client, app: Key) -> None:
    file = await sent(client, app, "notes café.txt", NOTES, "text/plain")

    response = await client.get(file["url"], headers=app)

    assert response.status_code == 200, response.text
    assert response.content == NOTES
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == (
        "inline; filename=\"notes caf_.txt\"; filename*=UTF-8''notes%20caf%C3%A9.txt"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private"

    download = await client.get(file["url"], params={"as_attachment": "true"}, headers=app)
    assert download.content == NOTES
    assert download.headers["content-disposition"].startswith("attachment; ")


async def test_an_uploaded_page_is_always_a_download(client: Client, app: Key) -> None:
    page = b"<script>alert(1)</script>"
    file = await sent(client, app, "page.html", page, "text/html")

    response = await client.get(file["url"], headers=app)

    assert response.status_code == 200, response.text
    assert response.content == page
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"].startswith('attachment; filename="page.html"')
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_only_uploads_a_message_of_the_app_carries_are_given(
    client: Client, app: Key
) -> None:
    file = await sent(client, app, "notes.txt", NOTES, "text/plain")
    not_sent = await uploaded(client, app, name="draft.txt")
    _other_workflow, other_app = await published_app(client, document=ECHO)

    assert_error(await client.get(preview(not_sent["id"]), headers=app), 404, "file_not_found")
    assert_error(await client.get(file["url"], headers=other_app), 404, "file_not_found")
    assert_error(await client.get(file["url"]), 401)
    assert_error(await client.get(preview("..%2Fsecret.key"), headers=app), 404)


async def test_a_deleted_upload_is_no_longer_given(client: Client, app: Key) -> None:
    file = await sent(client, app, "notes.txt", NOTES, "text/plain")

    deleted = await client.delete(f"/api/files/{file['upload_file_id']}", headers=ADMIN)

    assert deleted.status_code == 204, deleted.text
    assert_error(await client.get(file["url"], headers=app), 404, "file_not_found")


async def test_the_preview_route_is_in_the_openapi_schema(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    route = paths["/v1/files/{file_id}/preview"]["get"]
    assert "as_attachment" in {p["name"] for p in route["parameters"]}
    assert "file_not_found" in route["description"]

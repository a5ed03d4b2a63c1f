"""A conversation whose runs were deleted (run retention) still reads and goes on, through
`/v1/*` in-process with a worker."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flowstead.store.protocol import Store
from tests.fakes.models import FakeModelServer
from tests.integration.api.conftest import (
    ADMIN,
    Client,
    add_provider,
    chat_document,
    published_app,
)

pytestmark = pytest.mark.usefixtures("worker")

Key = dict[str, str]


@pytest.fixture
async def chat_key(client: Client, openai_server: FakeModelServer) -> Key:
    await add_provider(client, openai_server)
    _workflow, key = await published_app(client, document=chat_document())
    return key


async def send(client: Client, key: Key, query: str, **body: Any) -> dict[str, Any]:
    payload = {"query": query, "user": "alice", "inputs": {}} | body
    response = await client.post("/v1/chat-messages", json=payload, headers=key)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_conversation_whose_runs_were_deleted_still_reads_and_goes_on(
    client: Client, store: Store, chat_key: Key
) -> None:
    first = await send(client, chat_key, "one")
    conversation_id = first["conversation_id"]
    second = await send(client, chat_key, "two", conversation_id=conversation_id)
    rated = await client.post(
        f"/v1/messages/{first['message_id']}/feedbacks",
        json={"user": "alice", "rating": "like"},
        headers=chat_key,
    )
    assert rated.status_code == 200, rated.text

    assert await store.runs.delete_finished(time.time() + 1) == 2

    url = f"/v1/messages?conversation_id={conversation_id}&user=alice"
    listed = await client.get(url, headers=chat_key)
    assert listed.status_code == 200, listed.text
    data = listed.json()["data"]
    assert [(m["id"], m["answer"]) for m in data] == [
        (first["message_id"], first["answer"]),
        (second["message_id"], second["answer"]),
    ]
    assert data[0]["feedback"] == {"rating": "like"}
    older = await client.get(f"{url}&first_id={second['message_id']}", headers=chat_key)
    assert [m["id"] for m in older.json()["data"]] == [first["message_id"]]
    feedbacks = await client.get("/v1/app/feedbacks", headers=chat_key)
    assert [f["message_id"] for f in feedbacks.json()["data"]] == [first["message_id"]]
    disliked = await client.post(
        f"/v1/messages/{second['message_id']}/feedbacks",
        json={"user": "alice", "rating": "dislike"},
        headers=chat_key,
    )
    assert disliked.status_code == 200, disliked.text
    gone = await client.get(f"/api/runs/{first['message_id']}", headers=ADMIN)
    assert gone.status_code == 404

    third = await send(client, chat_key, "three", conversation_id=conversation_id)
    assert third["answer"].endswith("(turn 3)")

"""`/v1/chat-messages`, `/v1/conversations`, `/v1/messages` in-process, with a worker."""

from __future__ import annotations

from typing import Any

import pytest

from flowstead.store.protocol import Store
from tests.fakes.models import FakeModelServer
from tests.integration.api.conftest import (
    Client,
    add_provider,
    assert_error,
    chat_document,
    published_app,
    snapshot,
    sse_events,
)

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture
async def chat_key(client: Client, openai_server: FakeModelServer) -> dict[str, str]:
    await add_provider(client, openai_server)
    _workflow, key = await published_app(client, document=chat_document())
    return key


async def send(client: Client, key: dict[str, str], query: str, **body: Any) -> Any:
    payload = {"query": query, "user": "alice", "inputs": {}} | body
    return await client.post("/v1/chat-messages", json=payload, headers=key)


async def test_blocking_answer_in_difys_shape(client: Client, chat_key: dict[str, str]) -> None:
    response = await send(client, chat_key, "hi there")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "event", "task_id", "id", "message_id", "conversation_id", "mode", "answer",
        "metadata", "created_at",
    }  # fmt: skip
    assert body["event"] == "message"
    assert body["mode"] == "advanced-chat"
    assert body["answer"] == "Hello from the fake model. You said: hi there (turn 1)"
    assert body["metadata"]["usage"]["total_tokens"] > 0
    assert body["conversation_id"]


async def test_two_turns_remember_the_first(
    client: Client, chat_key: dict[str, str], openai_server: FakeModelServer
) -> None:
    first = (await send(client, chat_key, "my name is Ada")).json()
    second = await send(
        client, chat_key, "what is my name?", conversation_id=first["conversation_id"]
    )
    body = second.json()
    assert body["conversation_id"] == first["conversation_id"]
    assert body["answer"].endswith("(turn 2)")  # the conversation variable was kept
    last_request = openai_server.requests[-1].json
    assert last_request is not None
    said = [m["content"] for m in last_request["messages"]]
    assert "my name is Ada" in said
    assert "Hello from the fake model. You said: my name is Ada (turn 1)" in said


async def test_streaming_sends_message_events_and_message_end(
    client: Client, chat_key: dict[str, str]
) -> None:
    response = await send(client, chat_key, "stream please", response_mode="streaming")
    assert response.status_code == 200
    events = sse_events(response.text)
    names = [e["event"] for e in events]
    assert names[0] == "workflow_started"
    assert names[-2:] == ["workflow_finished", "message_end"]
    messages = [e for e in events if e["event"] == "message"]
    assert len(messages) > 3
    answer = "".join(e["answer"] for e in messages)
    assert answer == "Hello from the fake model. You said: stream please (turn 1)"
    for event in events:
        assert event["conversation_id"] == events[0]["conversation_id"]
        assert event["message_id"] == event["task_id"]
        assert isinstance(event["created_at"], int)
    end = events[-1]
    assert end["id"] == end["message_id"]
    assert end["metadata"]["usage"]["total_tokens"] > 0


async def test_conversations_and_messages_pages(client: Client, chat_key: dict[str, str]) -> None:
    first = (await send(client, chat_key, "one")).json()
    conversation_id = first["conversation_id"]
    for query in ("two", "three"):
        await send(client, chat_key, query, conversation_id=conversation_id)
    other = (await send(client, chat_key, "elsewhere")).json()

    listed = await client.get("/v1/conversations?user=alice&limit=1", headers=chat_key)
    page = listed.json()
    assert page["limit"] == 1
    assert page["has_more"] is True
    assert [c["id"] for c in page["data"]] == [other["conversation_id"]]
    conversation = page["data"][0]
    assert {"id", "name", "inputs", "status", "introduction", "created_at", "updated_at"} <= set(
        conversation
    )
    rest = await client.get(
        f"/v1/conversations?user=alice&last_id={other['conversation_id']}", headers=chat_key
    )
    assert [c["id"] for c in rest.json()["data"]] == [conversation_id]
    assert rest.json()["has_more"] is False
    assert (await client.get("/v1/conversations?user=bob", headers=chat_key)).json()["data"] == []

    url = f"/v1/messages?conversation_id={conversation_id}&user=alice&limit=2"
    latest = (await client.get(url, headers=chat_key)).json()
    assert [m["query"] for m in latest["data"]] == ["two", "three"]
    assert latest["has_more"] is True
    older = (await client.get(f"{url}&first_id={latest['data'][0]['id']}", headers=chat_key)).json()
    assert [m["query"] for m in older["data"]] == ["one"]
    assert older["data"][0]["id"] == first["message_id"]
    assert older["has_more"] is False
    message = older["data"][0]
    assert message["answer"].startswith("Hello from the fake model")
    assert message["conversation_id"] == conversation_id


async def test_others_conversations_are_not_found(
    client: Client, chat_key: dict[str, str], store: Store
) -> None:
    first = (await send(client, chat_key, "one")).json()
    url = f"/v1/messages?conversation_id={first['conversation_id']}&user=bob"
    assert_error(await client.get(url, headers=chat_key), 404, "not_found")
    before = await snapshot(store)
    response = await send(
        client, chat_key, "hijack", user="bob", conversation_id=first["conversation_id"]
    )
    assert_error(response, 404, "not_found")
    assert_error(await client.get("/v1/messages?user=alice", headers=chat_key), 400)
    assert await snapshot(store) == before


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"query": "q"}, "user"),
        ({"user": "alice"}, "query"),
        ({"user": "alice", "query": ""}, "query"),
    ],
)
async def test_bad_chat_requests_store_nothing(
    client: Client, chat_key: dict[str, str], store: Store, body: dict[str, Any], fragment: str
) -> None:
    before = await snapshot(store)
    response = await client.post("/v1/chat-messages", json=body, headers=chat_key)
    assert fragment in assert_error(response, 400, "invalid_param")
    assert await snapshot(store) == before


async def test_a_workflow_app_refuses_chat_routes_as_dify_does(
    client: Client, store: Store
) -> None:
    _workflow, key = await published_app(client)
    before = await snapshot(store)
    assert "workflow mode" in assert_error(await send(client, key, "hello"), 400, "not_chat_app")
    assert await snapshot(store) == before
    for path in (
        "/v1/conversations?user=u1",
        "/v1/messages?user=u1&conversation_id=c1",
        "/v1/conversations/c1/variables?user=u1",
        "/v1/messages/m1/suggested?user=u1",
    ):
        assert_error(await client.get(path, headers=key), 400, "not_chat_app")


async def test_rename_and_delete_a_conversation(
    client: Client, chat_key: dict[str, str], store: Store
) -> None:
    first = (await send(client, chat_key, "plan my trip to Lisbon")).json()
    conversation_id = first["conversation_id"]
    path = f"/v1/conversations/{conversation_id}"
    renamed = await client.post(
        f"{path}/name", json={"name": "Lisbon", "user": "alice"}, headers=chat_key
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Lisbon"
    generated = await client.post(
        f"{path}/name", json={"auto_generate": True, "user": "alice"}, headers=chat_key
    )
    assert generated.json()["name"] == "plan my trip to Lisbon"
    not_theirs = await client.request("DELETE", path, json={"user": "bob"}, headers=chat_key)
    assert_error(not_theirs, 404)
    deleted = await client.request("DELETE", path, json={"user": "alice"}, headers=chat_key)
    assert deleted.status_code == 200
    assert deleted.json() == {"result": "success"}
    assert await store.conversations.get(conversation_id) is None
    assert_error(
        await client.get(f"/v1/messages?conversation_id={conversation_id}&user=alice",
                         headers=chat_key),
        404,
    )  # fmt: skip

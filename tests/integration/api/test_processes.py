"""The real `flowstead api` (granian) and `flowstead worker` processes, over loopback HTTP,
read the way a Dify client reads them: a plain HTTP client and SSE parsed by hand."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import TEMPLATE_DOCUMENT, chat_document, llm_document
from tests.integration.api.processes import Instance, LockstepModelServer, running_instance

PASSWORD = "process test password"
ANSWER = "Hello from the fake model. You said: tell me"


@pytest.fixture(scope="module")
def model() -> Iterator[LockstepModelServer]:
    with LockstepModelServer() as server:
        yield server


@pytest.fixture(scope="module")
def instance(
    tmp_path_factory: pytest.TempPathFactory, model: LockstepModelServer
) -> Iterator[Instance]:
    with running_instance(tmp_path_factory.mktemp("instance"), PASSWORD) as running:
        body = {"kind": "openai", "base_url": model.base_url, "api_key": "sk-test"}
        response = httpx.put(f"{running.url}/api/providers/fake", json=body, headers=running.admin)
        assert response.status_code == 200, response.text
        yield running


@pytest.fixture
async def http(instance: Instance) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=instance.url, timeout=30) as client:
        yield client


@pytest.fixture(autouse=True)
def ungated(model: LockstepModelServer) -> Iterator[None]:
    model.reset(gated=False)
    yield
    model.reset(gated=False)


async def app(http: httpx.AsyncClient, admin: dict[str, str], document: dict[str, Any]) -> Any:
    """A published workflow and an app key's headers for it."""
    created = await http.post("/api/workflows", json={"name": "t", "document": document},
                              headers=admin)  # fmt: skip
    workflow_id = created.json()["id"]
    await http.post(f"/api/workflows/{workflow_id}/versions", headers=admin)
    key = (await http.post(f"/api/workflows/{workflow_id}/keys", json={}, headers=admin)).json()
    return workflow_id, {"Authorization": f"Bearer {key['key']}"}


async def data_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Dify stream events as their lines arrive (`event: ping` blocks are skipped)."""
    async for line in response.aiter_lines():
        if line.startswith("data: "):
            yield json.loads(line.removeprefix("data: "))


async def test_a_new_users_first_steps(http: httpx.AsyncClient, instance: Instance) -> None:
    health = await http.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    created = await http.post(
        "/api/workflows",
        json={"name": "My first workflow", "description": "", "trigger": "manual"},
        headers=instance.admin,
    )
    assert created.status_code == 201
    workflow_id = created.json()["id"]
    request_id = created.headers["x-request-id"]
    line = instance.api.wait_for_line(message="workflow created", workflow_id=workflow_id)
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert line["method"] == "POST"
    assert {"time", "logger", "path"} <= set(line)
    access = instance.api.wait_for_line(message="request", request_id=request_id)
    assert access["status"] == 201
    assert access["path"] == "/api/workflows"
    assert isinstance(access["duration"], float)
    unauthorized = await http.post("/api/workflows", json={"name": "x"})
    assert unauthorized.status_code == 401
    assert unauthorized.json()["code"] == "unauthorized"


async def test_streaming_text_chunks_arrive_one_by_one(
    http: httpx.AsyncClient, instance: Instance, model: LockstepModelServer
) -> None:
    _workflow_id, key = await app(http, instance.admin, llm_document())
    model.reset(gated=True)
    body = {"inputs": {"question": "tell me"}, "user": "u1", "response_mode": "streaming"}
    events: list[dict[str, Any]] = []
    async with http.stream("POST", "/v1/workflows/run", json=body, headers=key) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        async for event in data_events(response):
            events.append(event)
            if event["event"] == "text_chunk":
                model.release()  # the model sends its next piece only now
    assert model.stalled == 0
    names = [e["event"] for e in events]
    assert names[0] == "workflow_started"
    assert names[-1] == "workflow_finished"
    chunks = [e["data"]["text"] for e in events if e["event"] == "text_chunk"]
    assert len(chunks) >= 5
    assert "".join(chunks) == ANSWER
    run_id = events[0]["workflow_run_id"]
    assert all(e["task_id"] == run_id for e in events)
    assert events[-1]["data"]["status"] == "succeeded"
    assert events[-1]["data"]["outputs"] == {"answer": ANSWER}


async def test_a_blocking_run(http: httpx.AsyncClient, instance: Instance) -> None:
    _workflow_id, key = await app(http, instance.admin, TEMPLATE_DOCUMENT)
    body = {"inputs": {"name": "Ada"}, "user": "u1", "response_mode": "blocking"}
    response = await http.post("/v1/workflows/run", json=body, headers=key)
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"]["status"] == "succeeded"
    assert answer["data"]["outputs"] == {"greeting": "Hello Ada!"}
    detail = await http.get(f"/v1/workflows/run/{answer['workflow_run_id']}", headers=key)
    assert detail.json()["status"] == "succeeded"


async def test_two_chat_turns_remember_the_first(
    http: httpx.AsyncClient, instance: Instance, model: LockstepModelServer
) -> None:
    _workflow_id, key = await app(http, instance.admin, chat_document())
    first = await http.post(
        "/v1/chat-messages",
        json={"query": "my name is Ada", "inputs": {}, "user": "u1"},
        headers=key,
    )
    conversation_id = first.json()["conversation_id"]
    body = {
        "query": "what is my name?",
        "inputs": {},
        "user": "u1",
        "conversation_id": conversation_id,
        "response_mode": "streaming",
    }
    async with http.stream("POST", "/v1/chat-messages", json=body, headers=key) as response:
        events = [event async for event in data_events(response)]
    answer = "".join(e["answer"] for e in events if e["event"] == "message")
    assert answer.endswith("You said: what is my name? (turn 2)")
    assert events[-1]["event"] == "message_end"
    assert events[-1]["conversation_id"] == conversation_id
    sent = model.requests[-1].json
    assert any(m["content"] == "my name is Ada" for m in sent["messages"])
    messages = await http.get(
        f"/v1/messages?conversation_id={conversation_id}&user=u1", headers=key
    )
    assert [m["query"] for m in messages.json()["data"]] == ["my name is Ada", "what is my name?"]


async def test_a_client_that_reconnects_with_last_event_id_misses_nothing(
    http: httpx.AsyncClient, instance: Instance, model: LockstepModelServer
) -> None:
    workflow_id, _key = await app(http, instance.admin, llm_document())
    model.reset(gated=True)
    run = await http.post(
        f"/api/workflows/{workflow_id}/runs",
        json={"inputs": {"question": "tell me"}, "version": "published"},
        headers=instance.admin,
    )
    run_id = run.json()["id"]
    seen: list[tuple[int, str, dict[str, Any]]] = []

    async def read(headers: dict[str, str], stop_after_chunks: int | None) -> None:
        url = f"/api/runs/{run_id}/events"
        async with http.stream("GET", url, headers=instance.admin | headers) as response:
            fields: dict[str, str] = {}
            chunks = 0
            async for line in response.aiter_lines():
                if line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                    continue
                if "id" not in fields:
                    fields = {}
                    continue
                event = json.loads(fields["data"])
                seen.append((int(fields["id"]), fields["event"], event["data"]))
                fields = {}
                if seen[-1][1] == "text_chunk":
                    chunks += 1
                    model.release()
                    if stop_after_chunks is not None and chunks == stop_after_chunks:
                        return  # the connection drops mid-run

    await read({}, stop_after_chunks=2)
    last_id = seen[-1][0]
    await read({"Last-Event-ID": str(last_id)}, stop_after_chunks=None)
    ids = [seq for seq, _name, _data in seen]
    assert ids == list(range(1, len(ids) + 1))
    assert seen[-1][1] == "run_finished"
    text = "".join(data["text"] for _s, name, data in seen if name == "text_chunk")
    assert text == ANSWER


async def test_stop_a_streaming_run(
    http: httpx.AsyncClient, instance: Instance, model: LockstepModelServer
) -> None:
    _workflow_id, key = await app(http, instance.admin, llm_document())
    model.reset(gated=True)  # the model stalls after its first piece
    body = {"inputs": {"question": "tell me"}, "user": "u1", "response_mode": "streaming"}
    events: list[dict[str, Any]] = []
    async with http.stream("POST", "/v1/workflows/run", json=body, headers=key) as response:
        async for event in data_events(response):
            events.append(event)
            if event["event"] == "text_chunk":
                stop = await http.post(
                    f"/v1/workflows/tasks/{event['task_id']}/stop", json={"user": "u1"}, headers=key
                )
                assert stop.json() == {"result": "success"}
    assert events[-1]["event"] == "workflow_finished"
    assert events[-1]["data"]["status"] == "stopped"
    for _ in range(20):
        model.release()  # let the stalled model answer finish


def test_the_api_process_logs_only_json(instance: Instance) -> None:
    lines = [line for line in instance.api.lines if line.strip()]
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict), line

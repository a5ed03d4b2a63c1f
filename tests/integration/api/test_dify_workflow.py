"""`/v1/workflows/*` and `/v1/parameters|info` in-process, with a worker in this process."""

from __future__ import annotations

from typing import Any

import pytest

from flowstead.store.protocol import Store
from tests.fakes.models import FakeModelServer
from tests.integration.api.conftest import (
    ADMIN,
    TEMPLATE_DOCUMENT,
    Client,
    add_provider,
    app_key,
    assert_error,
    create_workflow,
    llm_document,
    published_app,
    snapshot,
    sse_events,
)

pytestmark = pytest.mark.usefixtures("worker")

RUN_FIELDS = {
    "id", "workflow_id", "status", "outputs", "error", "elapsed_time", "total_tokens",
    "total_steps", "created_at", "finished_at",
}  # fmt: skip


async def run(client: Client, key: dict[str, str], **body: Any) -> Any:
    return await client.post("/v1/workflows/run", json={"user": "alice"} | body, headers=key)


async def test_blocking_run_answers_with_difys_shape(client: Client) -> None:
    workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    response = await run(client, key, inputs={"name": "Ada"}, response_mode="blocking")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"task_id", "workflow_run_id", "data"}
    assert body["task_id"] == body["workflow_run_id"] == body["data"]["id"]
    assert set(body["data"]) == RUN_FIELDS
    assert body["data"]["workflow_id"] == workflow["id"]
    assert body["data"]["status"] == "succeeded"
    assert body["data"]["outputs"] == {"greeting": "Hello Ada!"}
    assert body["data"]["total_steps"] == 3
    assert isinstance(body["data"]["created_at"], int)
    assert isinstance(body["data"]["finished_at"], int)


async def test_blocking_is_the_default_mode(client: Client) -> None:
    _workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    response = await run(client, key, inputs={"name": "Bo"})
    assert response.json()["data"]["outputs"] == {"greeting": "Hello Bo!"}


async def test_the_run_uses_the_latest_published_version_not_the_draft(client: Client) -> None:
    workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    changed = TEMPLATE_DOCUMENT | {
        "nodes": [
            TEMPLATE_DOCUMENT["nodes"][0],
            {"id": "greet", "type": "template", "config": {"template": "Hi {{ start.name }}"}},
            TEMPLATE_DOCUMENT["nodes"][2],
        ]
    }
    path = f"/api/workflows/{workflow['id']}"
    await client.put(path, json={"document": changed}, headers=ADMIN)
    assert (await run(client, key, inputs={"name": "A"})).json()["data"]["outputs"] == {
        "greeting": "Hello A!"
    }
    await client.post(f"{path}/versions", headers=ADMIN)
    assert (await run(client, key, inputs={"name": "A"})).json()["data"]["outputs"] == {
        "greeting": "Hi A"
    }


async def test_streaming_run_sends_difys_events(client: Client) -> None:
    workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    response = await run(client, key, inputs={"name": "Ada"}, response_mode="streaming")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    events = sse_events(response.text)
    names = [e["event"] for e in events]
    assert names[0] == "workflow_started"
    assert names[-1] == "workflow_finished"
    assert names.count("node_started") == names.count("node_finished") == 3
    run_id = events[0]["workflow_run_id"]
    for event in events:
        assert event["task_id"] == event["workflow_run_id"] == run_id
    started = events[0]["data"]
    assert started["id"] == run_id
    assert started["workflow_id"] == workflow["id"]
    assert started["inputs"] == {"name": "Ada"}
    node = next(e["data"] for e in events if e["event"] == "node_finished")
    assert {"id", "node_id", "node_type", "title", "index", "inputs", "outputs", "status",
            "elapsed_time", "created_at", "finished_at"} <= set(node)  # fmt: skip
    finished = events[-1]["data"]
    assert finished["status"] == "succeeded"
    assert finished["outputs"] == {"greeting": "Hello Ada!"}


async def test_text_chunks_stream_from_an_llm_node(
    client: Client, openai_server: FakeModelServer
) -> None:
    await add_provider(client, openai_server)
    _workflow, key = await published_app(client, document=llm_document())
    response = await run(client, key, inputs={"question": "why?"}, response_mode="streaming")
    events = sse_events(response.text)
    chunks = [e["data"]["text"] for e in events if e["event"] == "text_chunk"]
    assert len(chunks) > 3
    assert "".join(chunks) == "Hello from the fake model. You said: why?"
    chunk = next(e for e in events if e["event"] == "text_chunk")
    assert chunk["data"]["from_variable_selector"] == ["llm", "text"]
    assert events[-1]["data"]["outputs"] == {"answer": "".join(chunks)}
    assert events[-1]["data"]["total_tokens"] > 0


async def test_a_failing_run_ends_with_an_error_event_on_a_200(client: Client) -> None:
    # The provider is not configured, so the LLM node fails.
    _workflow, key = await published_app(client, document=llm_document("missing"))
    response = await run(client, key, inputs={"question": "q"}, response_mode="streaming")
    assert response.status_code == 200
    events = sse_events(response.text)
    assert events[-2]["event"] == "workflow_finished"
    assert events[-2]["data"]["status"] == "failed"
    assert events[-1]["event"] == "error"
    assert events[-1]["status"] == 400
    assert "missing" in events[-1]["message"]
    blocking = (await run(client, key, inputs={"question": "q"})).json()
    assert blocking["data"]["status"] == "failed"
    assert "missing" in blocking["data"]["error"]


async def test_run_detail(client: Client) -> None:
    _workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    run_id = (await run(client, key, inputs={"name": "Ada"})).json()["workflow_run_id"]
    detail = await client.get(f"/v1/workflows/run/{run_id}", headers=key)
    assert detail.status_code == 200
    body = detail.json()
    assert body["id"] == run_id
    assert body["status"] == "succeeded"
    assert body["inputs"] == {"name": "Ada"}
    assert body["outputs"] == {"greeting": "Hello Ada!"}
    assert set(body) == RUN_FIELDS | {"inputs"}
    assert_error(await client.get("/v1/workflows/run/nope", headers=key), 404, "not_found")


async def test_a_key_sees_only_its_own_workflows_runs(client: Client) -> None:
    _workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    _other, other_key = await published_app(client, document=TEMPLATE_DOCUMENT)
    run_id = (await run(client, key, inputs={"name": "Ada"})).json()["workflow_run_id"]
    assert_error(await client.get(f"/v1/workflows/run/{run_id}", headers=other_key), 404)
    stop = f"/v1/workflows/tasks/{run_id}/stop"
    assert_error(await client.post(stop, json={"user": "alice"}, headers=other_key), 404)


async def test_stop_a_finished_task_is_a_success(client: Client) -> None:
    _workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    run_id = (await run(client, key, inputs={"name": "Ada"})).json()["task_id"]
    stop = f"/v1/workflows/tasks/{run_id}/stop"
    response = await client.post(stop, json={"user": "alice"}, headers=key)
    assert response.status_code == 200
    assert response.json() == {"result": "success"}
    assert_error(await client.post(stop, json={}, headers=key), 400, "invalid_param")


async def test_parameters_and_info(client: Client) -> None:
    workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    parameters = (await client.get("/v1/parameters", headers=key)).json()
    assert parameters["user_input_form"] == [
        {
            "text-input": {
                "variable": "name",
                "label": "Your name",
                "type": "text-input",
                "required": True,
                "default": "",
                "options": [],
                "max_length": 48,
                "description": "",
            }
        }
    ]
    assert parameters["file_upload"]["enabled"] is False
    assert parameters["system_parameters"]["file_size_limit"] == 1
    assert parameters["speech_to_text"] == {"enabled": False}
    info = (await client.get("/v1/info", headers=key)).json()
    assert info == {
        "name": workflow["name"],
        "description": workflow["description"],
        "tags": [],
        "mode": "workflow",
        "author_name": "",
    }


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [
        ({"inputs": {"name": "A"}}, 400, "invalid_param", "user"),
        ({"inputs": {"name": "A"}, "user": ""}, 400, "invalid_param", "user"),
        ({"inputs": {}, "user": "alice"}, 400, "invalid_param", "name"),
        ({"inputs": {"name": "x" * 49}, "user": "alice"}, 400, "invalid_param", "name"),
        ({"inputs": "no", "user": "alice"}, 400, "invalid_param", "inputs"),
        ({"user": "alice", "response_mode": "sometimes"}, 400, "invalid_param", "response_mode"),
    ],
)
async def test_bad_run_requests_store_nothing(
    client: Client,
    store: Store,
    body: dict[str, Any],
    status: int,
    code: str,
    fragment: str,
) -> None:
    _workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    before = await snapshot(store)
    response = await client.post("/v1/workflows/run", json=body, headers=key)
    assert fragment in assert_error(response, status, code)
    assert await snapshot(store) == before


async def test_malformed_json_stores_nothing(client: Client, store: Store) -> None:
    _workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    before = await snapshot(store)
    response = await client.post(
        "/v1/workflows/run",
        content=b'{"user": "alice", "inputs": {',
        headers=key | {"Content-Type": "application/json"},
    )
    assert "JSON" in assert_error(response, 400, "invalid_param")
    assert await snapshot(store) == before


async def test_a_workflow_never_published_is_a_clear_400(client: Client, store: Store) -> None:
    workflow = await create_workflow(client, document=TEMPLATE_DOCUMENT)
    key = await app_key(client, workflow["id"])
    before = await snapshot(store)
    body = {"inputs": {"name": "A"}, "user": "alice"}
    response = await client.post("/v1/workflows/run", json=body, headers=key)
    assert "publish" in assert_error(response, 400, "not_published")
    assert_error(await client.get("/v1/parameters", headers=key), 400, "not_published")
    assert await snapshot(store) == before


async def test_wrong_or_revoked_keys_store_nothing(client: Client, store: Store) -> None:
    workflow, _key = await published_app(client, document=TEMPLATE_DOCUMENT)
    created = (
        await client.post(f"/api/workflows/{workflow['id']}/keys", json={}, headers=ADMIN)
    ).json()
    await client.delete(f"/api/workflows/{workflow['id']}/keys/{created['id']}", headers=ADMIN)
    before = await snapshot(store)
    body = {"inputs": {"name": "A"}, "user": "alice"}
    for token in (created["key"], "app-wrong", "", PASSWORD_LIKE):
        headers = {"Authorization": f"Bearer {token}"}
        assert_error(await client.post("/v1/workflows/run", json=body, headers=headers), 401)
    assert await snapshot(store) == before


async def test_an_oversized_body_is_a_413_and_stores_nothing(client: Client, store: Store) -> None:
    _workflow, key = await published_app(client, document=TEMPLATE_DOCUMENT)
    before = await snapshot(store)
    body = {"inputs": {"name": "x" * (2 * 1024 * 1024)}, "user": "alice"}
    response = await client.post("/v1/workflows/run", json=body, headers=key)
    assert "1 MiB" in assert_error(response, 413, "request_too_large")
    assert await snapshot(store) == before


async def test_a_chat_workflow_refuses_the_workflow_route(client: Client, store: Store) -> None:
    _workflow, key = await published_app(client, mode="chat")
    before = await snapshot(store)
    response = await run(client, key, inputs={})
    assert "chat" in assert_error(response, 400)
    assert await snapshot(store) == before


PASSWORD_LIKE = "correct horse battery staple"

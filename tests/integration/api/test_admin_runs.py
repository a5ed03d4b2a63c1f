"""`/api/runs` and `/api/workflows/{id}/runs`, with a worker on its own thread."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowstead.store.protocol import Store
from tests.fakes.models import FakeModelServer
from tests.integration.api.conftest import (
    ADMIN,
    TEMPLATE_DOCUMENT,
    Client,
    add_provider,
    assert_error,
    create_workflow,
    llm_document,
    published_app,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("worker")


def admin_events(body: str) -> list[dict[str, Any]]:
    """`id`, `event` and `data` of each block of an admin SSE stream."""
    found = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            found.append(fields)
    return found


async def start(client: Client, workflow_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/workflows/{workflow_id}/runs", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def finished(client: Client, run_id: str) -> dict[str, Any]:
    """The run's detail once its event stream has ended (the stream ends with the run)."""
    await client.get(f"/api/runs/{run_id}/events", headers=ADMIN)
    detail: dict[str, Any] = (await client.get(f"/api/runs/{run_id}", headers=ADMIN)).json()
    return detail


async def test_a_draft_run_with_its_detail_and_node_executions(client: Client) -> None:
    workflow = await create_workflow(client, document=TEMPLATE_DOCUMENT)
    run = await start(client, workflow["id"], inputs={"name": "Ada"})
    assert run["status"] == "queued"
    assert run["version"] is None
    detail = await finished(client, run["id"])
    assert detail["run"]["status"] == "succeeded"
    assert detail["run"]["outputs"] == {"greeting": "Hello Ada!"}
    assert [n["node_id"] for n in detail["nodes"]] == ["start", "greet", "end"]
    assert {n["status"] for n in detail["nodes"]} == {"succeeded"}


async def test_list_filters_by_workflow_and_status(client: Client) -> None:
    first = await create_workflow(client, document=TEMPLATE_DOCUMENT)
    second = await create_workflow(client, document=llm_document("missing"))
    ok = await start(client, first["id"], inputs={"name": "A"})
    failed = await start(client, second["id"], inputs={"question": "q"})
    await finished(client, ok["id"])
    await finished(client, failed["id"])
    everything = (await client.get("/api/runs", headers=ADMIN)).json()
    assert [r["id"] for r in everything] == [failed["id"], ok["id"]]
    of_first = (await client.get(f"/api/runs?workflow_id={first['id']}", headers=ADMIN)).json()
    assert [r["id"] for r in of_first] == [ok["id"]]
    failures = (await client.get("/api/runs?status=failed", headers=ADMIN)).json()
    assert [r["id"] for r in failures] == [failed["id"]]
    assert_error(await client.get("/api/runs/nope", headers=ADMIN), 404)


async def test_events_stream_with_sequence_ids_and_resumes_after_last_event_id(
    client: Client,
) -> None:
    workflow = await create_workflow(client, document=TEMPLATE_DOCUMENT)
    run = await start(client, workflow["id"], inputs={"name": "Ada"})
    response = await client.get(f"/api/runs/{run['id']}/events", headers=ADMIN)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = admin_events(response.text)
    ids = [int(e["id"]) for e in events]
    assert ids == list(range(1, len(ids) + 1))
    assert events[0]["event"] == "run_started"
    assert events[-1]["event"] == "run_finished"
    resumed = await client.get(
        f"/api/runs/{run['id']}/events", headers=ADMIN | {"Last-Event-ID": "3"}
    )
    assert [int(e["id"]) for e in admin_events(resumed.text)] == ids[3:]
    by_query = await client.get(f"/api/runs/{run['id']}/events?after=5", headers=ADMIN)
    assert [int(e["id"]) for e in admin_events(by_query.text)] == ids[5:]
    bad = {"Last-Event-ID": "x"}
    assert_error(await client.get(f"/api/runs/{run['id']}/events", headers=ADMIN | bad), 400)
    assert_error(await client.get("/api/runs/nope/events", headers=ADMIN), 404)


async def test_stop_a_running_run(client: Client, openai_server: FakeModelServer) -> None:
    await add_provider(client, openai_server)
    openai_server.latency = 30.0  # the model does not answer before the stop
    workflow = await create_workflow(client, document=llm_document())
    run = await start(client, workflow["id"], inputs={"question": "q"})
    # The worker is on another thread: look until it has started the LLM node.
    while not (await client.get(f"/api/runs/{run['id']}", headers=ADMIN)).json()["nodes"]:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    stopped = await client.post(f"/api/runs/{run['id']}/stop", headers=ADMIN)
    assert stopped.status_code == 202
    assert stopped.json() == {"run_id": run["id"], "stop_requested": True}
    assert (await finished(client, run["id"]))["run"]["status"] == "stopped"
    assert_error(await client.post("/api/runs/nope/stop", headers=ADMIN), 404)


async def test_rerun_from_a_node_reuses_earlier_outputs(client: Client) -> None:
    workflow = await create_workflow(client, document=TEMPLATE_DOCUMENT)
    run = await start(client, workflow["id"], inputs={"name": "Ada"})
    await finished(client, run["id"])
    rerun = await client.post(
        f"/api/runs/{run['id']}/rerun",
        json={"node_id": "greet", "edits": {"start.name": "Grace"}},
        headers=ADMIN,
    )
    assert rerun.status_code == 201, rerun.text
    assert rerun.json()["resumed_from"] == run["id"]
    detail = await finished(client, rerun.json()["id"])
    assert detail["run"]["outputs"] == {"greeting": "Hello Grace!"}
    unknown = await client.post(
        f"/api/runs/{run['id']}/rerun", json={"node_id": "ghost"}, headers=ADMIN
    )
    assert_error(unknown, 404)


async def test_starting_bad_runs_stores_nothing(client: Client, store: Store) -> None:
    workflow = await create_workflow(client, document=TEMPLATE_DOCUMENT)
    before = await snapshot(store)
    path = f"/api/workflows/{workflow['id']}/runs"
    assert_error(await client.post(path, json={"inputs": {}}, headers=ADMIN), 400)
    published = {"inputs": {"name": "A"}, "version": "published"}
    assert_error(await client.post(path, json=published, headers=ADMIN), 400, "not_published")
    missing = await client.post(
        "/api/workflows/nope/runs", json={"inputs": {"name": "A"}}, headers=ADMIN
    )
    assert_error(missing, 404)
    assert await snapshot(store) == before


async def test_published_versions_run_by_number(client: Client) -> None:
    workflow, _key = await published_app(client, document=TEMPLATE_DOCUMENT)
    run = await start(client, workflow["id"], inputs={"name": "V"}, version=1)
    assert run["version"] == 1
    assert (await finished(client, run["id"]))["run"]["outputs"] == {"greeting": "Hello V!"}

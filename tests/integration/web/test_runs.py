"""The run panel, the run history with its filter, a run's detail and rerun from a node."""

from __future__ import annotations

import re

import pytest

from flowstead.store.protocol import Store
from tests.fakes.models import FakeModelServer
from tests.integration.web.conftest import (
    ADMIN,
    HTMX,
    Client,
    assert_ok,
    create,
    text_of,
    wait_finished,
)


def run_id_of(html: str) -> str:
    found = re.search(r'data-run-id="([^"]+)"', html)
    assert found, html[:1000]
    return found.group(1)


async def finished(store: Store, run_id: str) -> None:
    run = await wait_finished(store, run_id)
    assert run.status == "succeeded", run


@pytest.fixture
async def provider(store: Store, openai_server: FakeModelServer) -> FakeModelServer:
    await store.providers.put("fake", kind="openai", base_url=openai_server.base_url)
    return openai_server


async def test_the_run_form_asks_for_the_start_inputs(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    form = assert_ok(await client.get(f"/workflows/{workflow_id}/run", headers=HTMX))
    assert 'name="in.question"' in form
    assert "<textarea" in form


async def test_a_bad_input_is_shown_on_the_form(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    response = await client.post(f"/workflows/{workflow_id}/run", data={}, headers=HTMX)
    page = text_of(assert_ok(response))
    assert "input `question` is required" in page
    assert await store.runs.list() == []


@pytest.mark.usefixtures("worker")
async def test_run_follow_and_rerun_with_an_edited_value(
    client: Client, store: Store, provider: FakeModelServer
) -> None:
    workflow_id = await create(store)
    live = assert_ok(
        await client.post(
            f"/workflows/{workflow_id}/run", data={"in.question": "first"}, headers=HTMX
        )
    )
    run_id = run_id_of(live)
    assert f'data-events="/api/runs/{run_id}/events"' in live
    await finished(store, run_id)

    detail = assert_ok(await client.get(f"/runs/{run_id}", headers=ADMIN))
    assert 'data-state="succeeded"' in detail
    assert "You said: first" in text_of(detail)
    assert f"/runs/{run_id}/rerun?node=llm" in detail

    form = assert_ok(await client.get(f"/runs/{run_id}/rerun?node=llm", headers=HTMX))
    assert 'name="edit.start.question"' in form
    assert ">first</textarea>" in form
    response = await client.post(
        f"/runs/{run_id}/rerun",
        data={"node_id": "llm", "edit.start.question": "second"},
        headers=HTMX,
    )
    new_id = response.headers["HX-Redirect"].rsplit("/", 1)[1]
    await finished(store, new_id)
    rerun = await store.runs.get(new_id)
    assert rerun is not None
    assert rerun.resumed_from == run_id
    assert rerun.outputs == {"answer": "Hello from the fake model. You said: second"}
    page = text_of(assert_ok(await client.get(f"/runs/{new_id}", headers=ADMIN)))
    assert "Rerun of" in page


async def test_the_rerun_form_refuses_bad_json(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    run = await store.runs.create(workflow_id=workflow_id, inputs={"question": "q"})
    await store.nodes.record(
        run_id=run.id, node_id="start", status="succeeded", outputs={"question": {"a": 1}}
    )
    await store.runs.finish(run.id, status="succeeded")
    form = assert_ok(await client.get(f"/runs/{run.id}/rerun?node=llm", headers=HTMX))
    assert "(JSON)" in form
    response = await client.post(
        f"/runs/{run.id}/rerun",
        data={"node_id": "llm", "edit.start.question": "{broken"},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.text
    assert len(await store.runs.list()) == 1


async def test_history_filters_by_status(client: Client, store: Store) -> None:
    workflow_id = await create(store, name="Listed")
    good = await store.runs.create(workflow_id=workflow_id, inputs={})
    await store.runs.finish(good.id, status="succeeded")
    bad = await store.runs.create(workflow_id=workflow_id, inputs={})
    await store.runs.finish(bad.id, status="failed", error="no")
    everything = assert_ok(await client.get("/runs", headers=ADMIN))
    assert good.id in everything
    assert bad.id in everything
    failed = assert_ok(await client.get("/runs?status=failed", headers=HTMX))
    assert bad.id in failed
    assert good.id not in failed
    assert "<html" not in failed
    none = text_of(assert_ok(await client.get("/runs?status=stopped", headers=HTMX)))
    assert "No stopped runs" in none
    of_workflow = text_of(
        assert_ok(await client.get(f"/runs?workflow={workflow_id}", headers=ADMIN))
    )
    assert "Runs of “Listed”" in of_workflow


async def test_no_runs_yet(client: Client) -> None:
    assert "No runs yet" in text_of(assert_ok(await client.get("/runs", headers=ADMIN)))


async def test_a_running_run_can_be_stopped(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    run = await store.runs.create(workflow_id=workflow_id, inputs={})
    detail = assert_ok(await client.get(f"/runs/{run.id}", headers=ADMIN))
    assert f'data-events="/api/runs/{run.id}/events"' in detail
    assert "Waiting for the worker" in text_of(detail)
    assert_ok(await client.post(f"/runs/{run.id}/stop", headers=HTMX))
    stopped = await store.runs.get(run.id)
    assert stopped is not None
    assert stopped.stop_requested


async def test_an_unknown_run_is_not_found(client: Client) -> None:
    assert (await client.get("/runs/nope", headers=ADMIN)).status_code == 404
    assert (await client.post("/runs/nope/stop", headers=HTMX)).status_code == 404

"""The workflow list, creating (blank, templates, imports), duplicating and deleting."""

from __future__ import annotations

import pytest

from flowstead.store.protocol import Store
from flowstead.web.starters import STARTERS
from tests.fakes.models import FakeModelServer
from tests.integration.web.conftest import (
    ADMIN,
    DIFY_CORPUS,
    HTMX,
    Client,
    assert_ok,
    create,
    text_of,
)


async def test_an_empty_list_says_how_to_start(client: Client) -> None:
    page = text_of(assert_ok(await client.get("/workflows", headers=ADMIN)))
    assert "No workflows yet" in page
    assert "Create your first workflow" in page


async def test_the_list_shows_each_workflow_with_its_last_run(client: Client, store: Store) -> None:
    asked = await create(store, name="Ask a question")
    await create(store, name="Summarize")
    run = await store.runs.create(workflow_id=asked, inputs={})
    await store.runs.finish(run.id, status="failed", error="boom")
    page = assert_ok(await client.get("/workflows", headers=ADMIN))
    assert "Ask a question" in page
    assert "Summarize" in page
    assert f'href="/runs/{run.id}" class="pill bad">failed' in page
    assert "never run" in text_of(page)


async def test_search_answers_htmx_with_the_rows_only(client: Client, store: Store) -> None:
    await create(store, name="Ask a question")
    await create(store, name="Summarize")
    rows = assert_ok(await client.get("/workflows?q=summ", headers=HTMX))
    assert "<html" not in rows
    assert "Summarize" in rows
    assert "Ask a question" not in rows
    nothing = text_of(assert_ok(await client.get("/workflows?q=zebra", headers=HTMX)))
    assert "No workflow matches “zebra”" in nothing


async def test_the_new_page_offers_every_template(client: Client) -> None:
    page = assert_ok(await client.get("/workflows/new", headers=ADMIN))
    for starter in STARTERS.values():
        assert f'value="{starter.id}"' in page
    assert "No model provider is set up yet" in page


@pytest.mark.parametrize("starter", sorted(STARTERS))
async def test_each_template_creates_a_workflow(client: Client, store: Store, starter: str) -> None:
    response = await client.post(
        "/workflows", data={"name": "", "starter": starter}, headers=ADMIN, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    workflow_id = response.headers["location"].rsplit("/", 1)[1]
    workflow = await store.workflows.get(workflow_id)
    assert workflow is not None
    assert workflow.mode == STARTERS[starter].mode
    editor = assert_ok(await client.get(response.headers["location"], headers=ADMIN))
    assert 'id="canvas"' in editor


async def test_a_template_uses_the_first_provider_and_its_chat_model(
    client: Client, store: Store, openai_server: FakeModelServer
) -> None:
    await store.providers.put("local", kind="openai", base_url=openai_server.base_url)
    response = await client.post(
        "/workflows", data={"name": "Q", "starter": "start-llm-end"}, headers=ADMIN
    )
    assert_ok(response)
    (workflow,) = await store.workflows.list()
    llm = next(n for n in workflow.document["nodes"] if n["type"] == "llm")
    assert llm["config"]["model"] == {"provider": "local", "name": "fake-chat"}


async def test_an_unknown_template_is_an_error_on_the_form(client: Client) -> None:
    response = await client.post("/workflows", data={"starter": "nope"}, headers=ADMIN)
    assert response.status_code == 400
    assert "Choose one of the templates" in response.text


async def test_importing_a_flowstead_document_shows_its_issues(
    client: Client, store: Store
) -> None:
    document = "flowstead: 1\nname: Imported\nnodes:\n  - {id: start, type: start}\nedges: []\n"
    response = await client.post(
        "/workflows/import", files={"file": ("flow.yml", document.encode())}, headers=ADMIN
    )
    page = text_of(assert_ok(response))
    assert "Imported “Imported”" in page
    assert "a workflow needs an End node" in page
    assert len(await store.workflows.list()) == 1


async def test_importing_pasted_text(client: Client, store: Store) -> None:
    document = '{"flowstead": 1, "nodes": [], "edges": []}'
    response = await client.post(
        "/workflows/import",
        files={"text": (None, document), "name": (None, "Pasted")},
        headers=ADMIN,
    )
    assert "Imported “Pasted”" in text_of(assert_ok(response))


async def test_importing_a_dify_file_shows_the_report(client: Client, store: Store) -> None:
    source = DIFY_CORPUS / "01_difyfix_basic_chatflow_d01456.yml"
    if not source.exists():
        pytest.skip(f"the Dify corpus is not beside this checkout ({DIFY_CORPUS})")
    response = await client.post(
        "/workflows/import", files={"file": (source.name, source.read_bytes())}, headers=ADMIN
    )
    page = text_of(assert_ok(response))
    assert "From a Dify DSL file." in page
    assert "Set up before running" in page or "Import report" in page
    (workflow,) = await store.workflows.list()
    assert workflow.mode == "chat"


async def test_importing_something_else_says_why_and_creates_nothing(
    client: Client, store: Store
) -> None:
    for content in (b"", b"just: [some, yaml]", b"app: {mode: agent-chat}\nworkflow: {}\n"):
        response = await client.post(
            "/workflows/import", files={"file": ("x.yml", content)}, headers=ADMIN
        )
        assert response.status_code == 400, content
        assert 'class="alert error"' in response.text
    assert await store.workflows.list() == []


async def test_duplicate_opens_the_copy(client: Client, store: Store) -> None:
    original = await create(store, name="Original")
    response = await client.post(
        f"/workflows/{original}/duplicate", headers=ADMIN, follow_redirects=False
    )
    assert response.status_code == 303
    copy_id = response.headers["location"].rsplit("/", 1)[1]
    copy = await store.workflows.get(copy_id)
    assert copy is not None
    assert copy.name == "Original (copy)"


async def test_delete_asks_first_then_deletes(client: Client, store: Store) -> None:
    workflow_id = await create(store, name="Doomed")
    await store.runs.create(workflow_id=workflow_id, inputs={})
    confirm = text_of(
        assert_ok(await client.get(f"/workflows/{workflow_id}/delete", headers=ADMIN))
    )
    assert "Delete “Doomed”?" in confirm
    assert "1 run" in confirm
    assert await store.workflows.get(workflow_id) is not None
    response = await client.post(
        f"/workflows/{workflow_id}/delete", headers=ADMIN, follow_redirects=False
    )
    assert response.status_code == 303
    assert await store.workflows.get(workflow_id) is None


async def test_an_unknown_workflow_is_a_not_found_page(client: Client) -> None:
    response = await client.get("/workflows/nope", headers=ADMIN)
    assert response.status_code == 404
    assert "Workflow not found" in text_of(response.text)

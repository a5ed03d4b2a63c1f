"""The canvas editor: the page, the canvas script's JSON changes, the side panel's forms,
undo and publishing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import msgspec
import pytest

from flowstead.engine.nodes import REGISTRY
from flowstead.store.protocol import Store
from tests.integration.web.conftest import ADMIN, HTMX, Client, assert_ok, create, text_of


async def document(store: Store, workflow_id: str) -> dict[str, Any]:
    workflow = await store.workflows.get(workflow_id)
    assert workflow is not None
    return workflow.document


def node(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in data["nodes"] if n["id"] == node_id)


def triggered(response: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(response.headers["HX-Trigger"])
    return found


async def test_the_editor_draws_cards_edges_and_the_palette(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    page = assert_ok(await client.get(f"/workflows/{workflow_id}", headers=ADMIN))
    for node_id in ("start", "llm", "end"):
        assert f'id="node-{node_id}"' in page
    assert page.count('class="edge"') == 2
    for spec in REGISTRY.values():
        assert f'data-type="{spec.type}"' in page
    assert "No issues" in text_of(page)


async def test_issues_are_shown_on_the_nodes_they_concern(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    data = await document(store, workflow_id)
    node(data, "llm")["config"]["messages"][0]["text"] = "{{ nowhere.text }}"
    await store.workflows.update_draft(workflow_id, data)
    page = assert_ok(await client.get(f"/workflows/{workflow_id}", headers=ADMIN))
    card = page[page.index('id="node-llm"') - 200 : page.index('id="node-llm"') + 900]
    assert "has-errors" in card
    assert "there is no such node" in card


async def test_branch_handles_are_drawn(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    added = await client.post(
        f"/workflows/{workflow_id}/nodes", json={"type": "if_else", "x": 10, "y": 20}, headers=ADMIN
    )
    card = assert_ok(added, 201)
    update = added.json()
    assert 'data-handle="case_1"' in update["card"]
    assert 'data-handle="else"' in update["card"]
    classifier = await client.post(
        f"/workflows/{workflow_id}/nodes",
        json={"type": "question_classifier", "x": 10, "y": 200},
        headers=ADMIN,
    )
    assert 'data-handle="class_1"' in classifier.json()["card"]
    assert card


async def test_adding_a_node_gives_it_an_id_a_title_and_a_place(
    client: Client, store: Store
) -> None:
    workflow_id = await create(store)
    response = await client.post(
        f"/workflows/{workflow_id}/nodes", json={"type": "llm", "x": 120.4, "y": 80}, headers=ADMIN
    )
    update = response.json()
    assert update["node_id"] == "llm_2"
    assert update["can_undo"] is True
    added = node(await document(store, workflow_id), "llm_2")
    assert added["title"] == "LLM 2"
    assert added["position"] == {"x": 120, "y": 80}
    assert "llm_2" in update["issues"]["nodes"]  # no model yet, no message text


async def test_a_loop_node_avoids_the_reserved_id(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    response = await client.post(
        f"/workflows/{workflow_id}/nodes", json={"type": "loop", "x": 0, "y": 0}, headers=ADMIN
    )
    assert response.json()["node_id"] == "loop_1"


async def test_adding_an_unknown_type_is_refused(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    response = await client.post(
        f"/workflows/{workflow_id}/nodes", json={"type": "teleport", "x": 0, "y": 0}, headers=ADMIN
    )
    assert response.status_code == 400
    assert "no node type" in response.json()["error"]


async def test_structure_saves_positions_edges_and_deletions(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    body = {
        "positions": {"start": [5, 6]},
        "edges": [{"from": "start", "to": "end"}, {"from": "start", "to": "end"}],
        "deleted": ["llm"],
    }
    update = assert_ok(
        await client.post(f"/workflows/{workflow_id}/structure", json=body, headers=ADMIN), 201
    )
    data = await document(store, workflow_id)
    assert [n["id"] for n in data["nodes"]] == ["start", "end"]
    assert node(data, "start")["position"] == {"x": 5, "y": 6}
    assert data["edges"] == [{"from": "start", "to": "end"}]
    assert json.loads(update)["issues"]["general"] == []


async def test_undo_puts_back_the_last_change(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    before = await document(store, workflow_id)
    await client.post(
        f"/workflows/{workflow_id}/structure", json={"deleted": ["llm"]}, headers=ADMIN
    )
    undone = (await client.post(f"/workflows/{workflow_id}/undo", headers=ADMIN)).json()
    assert undone["undone"] is True
    assert 'id="node-llm"' in undone["graph"]
    assert await document(store, workflow_id) == before
    again = (await client.post(f"/workflows/{workflow_id}/undo", headers=ADMIN)).json()
    assert again["undone"] is False


@pytest.mark.parametrize("node_type", sorted(REGISTRY))
async def test_every_node_type_has_a_form(client: Client, store: Store, node_type: str) -> None:
    workflow_id = await create(store)
    added = await client.post(
        f"/workflows/{workflow_id}/nodes", json={"type": node_type, "x": 0, "y": 0}, headers=ADMIN
    )
    node_id = added.json()["node_id"]
    panel = assert_ok(await client.get(f"/workflows/{workflow_id}/nodes/{node_id}", headers=HTMX))
    assert 'id="node-form"' in panel
    assert f"{REGISTRY[node_type].label}" in panel
    # Saving the form as it is keeps the node's config as it was.
    before = node(await document(store, workflow_id), node_id).get("config", {})
    form = urlencode(_form_values(panel))
    headers = {**HTMX, "Content-Type": "application/x-www-form-urlencoded"}
    url = f"/workflows/{workflow_id}/nodes/{node_id}"
    response = await client.post(url, content=form, headers=headers)
    assert_ok(response)
    after = node(await document(store, workflow_id), node_id).get("config", {})
    config = REGISTRY[node_type].config
    typed = msgspec.convert(before, config, str_keys=True)
    assert msgspec.convert(after, config, str_keys=True) == typed, (before, after)


def _form_values(panel: str) -> list[tuple[str, str]]:
    """What a browser would submit for the node form as rendered (inputs, selects and
    textareas with their current values; unchecked boxes left out)."""
    import re
    from html import unescape

    form = panel[
        panel.index('id="node-form"') : panel.index("</form>", panel.index('id="node-form"'))
    ]
    values: list[tuple[str, str]] = []
    for tag in re.finditer(r"<(input|select|textarea)\b([^>]*)>", form):
        kind, attrs = tag.group(1), tag.group(2)
        name = re.search(r'name="([^"]+)"', attrs)
        if not name:
            continue
        if kind == "input":
            if 'type="checkbox"' in attrs and " checked" not in attrs:
                continue
            value = re.search(r'value="([^"]*)"', attrs)
            values.append((unescape(name.group(1)), unescape(value.group(1)) if value else ""))
        elif kind == "textarea":
            end = form.index("</textarea>", tag.end())
            values.append((unescape(name.group(1)), unescape(form[tag.end() : end])))
        else:
            end = form.index("</select>", tag.end())
            options = form[tag.end() : end]
            chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(
                r'<option value="([^"]*)"', options
            )
            values.append((unescape(name.group(1)), unescape(chosen.group(1)) if chosen else ""))
    return values


async def test_saving_the_llm_form(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    form = {
        "n.title": "Answer it",
        "c.model.provider": "fake",
        "c.model.name": "bigger-model",
        "c.model.temperature": "0.2",
        "c.messages._list": "1",
        "c.messages.0._item": "1",
        "c.messages.0.role": "user",
        "c.messages.0.text": "Q: {{ start.question }}\r\nA:",
    }
    response = await client.post(f"/workflows/{workflow_id}/nodes/llm", data=form, headers=HTMX)
    saved_page = assert_ok(response)
    events = triggered(response)
    assert events["flowstead:field-errors"] == {}
    assert (
        'id="node-llm" data-id="llm"' in saved_page.replace("\n", " ")
        or 'hx-swap-oob="true"' in saved_page
    )
    llm = node(await document(store, workflow_id), "llm")
    assert llm["title"] == "Answer it"
    assert llm["config"]["model"] == {
        "provider": "fake",
        "name": "bigger-model",
        "temperature": 0.2,
    }
    assert llm["config"]["messages"] == [{"role": "user", "text": "Q: {{ start.question }}\nA:"}]


async def test_a_field_that_does_not_parse_keeps_its_value_and_says_why(
    client: Client, store: Store
) -> None:
    workflow_id = await create(store)
    form = {
        "c.model.provider": "fake",
        "c.model.name": "m",
        "c.model.max_tokens": "lots",
        "c.json_schema": "{not json",
    }
    response = await client.post(f"/workflows/{workflow_id}/nodes/llm", data=form, headers=HTMX)
    errors = triggered(response)["flowstead:field-errors"]
    assert errors["c.model.max_tokens"] == "must be a whole number"
    assert errors["c.json_schema"].startswith("not valid JSON")
    assert "Not all changes were saved" in response.text
    llm = node(await document(store, workflow_id), "llm")
    assert llm["config"]["model"]["name"] == "m"
    assert "max_tokens" not in llm["config"]["model"]


async def test_rows_are_added_and_removed(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    url = f"/workflows/{workflow_id}/nodes/end"
    base = {
        "c.outputs._list": "1",
        "c.outputs.0._item": "1",
        "c.outputs.0.name": "answer",
        "c.outputs.0.value": "llm.text",
    }
    response = await client.post(url, data={**base, "_action": "add:c.outputs"}, headers=HTMX)
    assert response.headers["HX-Retarget"] == "#panel"
    assert 'name="c.outputs.1.name"' in response.text
    end = node(await document(store, workflow_id), "end")
    assert end["config"]["outputs"] == [
        {"name": "answer", "value": "llm.text"},
        {"name": "", "value": ""},
    ]
    await client.post(url, data={**base, "_action": "remove:c.outputs.0"}, headers=HTMX)
    end = node(await document(store, workflow_id), "end")
    assert end.get("config", {}).get("outputs", []) == []


async def test_an_optional_group_is_switched_on_and_off(client: Client, store: Store) -> None:
    workflow_id = await create(store, name="Chat")
    url = f"/workflows/{workflow_id}/nodes/llm"
    on = {"c.memory._group": "1", "c.memory._on": "1", "_action": "toggle"}
    panel = assert_ok(await client.post(url, data=on, headers=HTMX))
    assert 'name="c.memory.window"' in panel
    assert node(await document(store, workflow_id), "llm")["config"]["memory"] == {}
    await client.post(url, data={"c.memory._group": "1", "c.memory.window": "3"}, headers=HTMX)
    assert "memory" not in node(await document(store, workflow_id), "llm")["config"]


async def test_error_handling_adds_the_failure_branch(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    form = {
        "n.on_error": "fail_branch",
        "n.retry": "2",
        "n.retry_interval": "0.5",
        "n.timeout": "30",
    }
    response = await client.post(f"/workflows/{workflow_id}/nodes/llm", data=form, headers=HTMX)
    assert 'data-handle="fail-branch"' in response.text
    llm = node(await document(store, workflow_id), "llm")
    assert llm["on_error"]["strategy"] == "fail_branch"
    assert llm["retry"] == {"max_attempts": 2, "interval": 0.5}
    assert llm["timeout"] == 30
    form = {"n.on_error": "fail", "n.retry": "", "n.timeout": ""}
    await client.post(f"/workflows/{workflow_id}/nodes/llm", data=form, headers=HTMX)
    llm = node(await document(store, workflow_id), "llm")
    assert "on_error" not in llm
    assert "retry" not in llm
    assert "timeout" not in llm


async def test_the_variable_picker_lists_upstream_outputs(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    panel = assert_ok(await client.get(f"/workflows/{workflow_id}/nodes/end", headers=HTMX))
    assert 'data-insert="llm.text"' in panel
    assert 'data-insert="start.question"' in panel
    assert 'data-insert="sys.query"' not in panel  # chat mode only
    start_panel = assert_ok(await client.get(f"/workflows/{workflow_id}/nodes/start", headers=HTMX))
    assert 'data-insert="llm.text"' not in start_panel


async def test_connections_from_the_panel(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    url = f"/workflows/{workflow_id}/nodes/start/edges"
    response = await client.post(
        url, data={"action": "add", "handle": "", "to": "end"}, headers=HTMX
    )
    assert triggered(response)["flowstead:reload"] == {"select": "start"}
    assert {"from": "start", "to": "end"} in (await document(store, workflow_id))["edges"]
    await client.post(url, data={"action": "remove", "handle": "", "to": "end"}, headers=HTMX)
    assert {"from": "start", "to": "end"} not in (await document(store, workflow_id))["edges"]


async def test_renaming_a_node_moves_its_edges(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    url = f"/workflows/{workflow_id}/nodes/llm/rename"
    response = await client.post(url, data={"new_id": "writer"}, headers=HTMX)
    assert triggered(response)["flowstead:reload"] == {"select": "writer"}
    data = await document(store, workflow_id)
    assert {"from": "start", "to": "writer"} in data["edges"]
    for bad, message in (
        ("9lives", "letters, digits"),
        ("loop", "reserved"),
        ("end", "already has"),
    ):
        refused = await client.post(
            f"/workflows/{workflow_id}/nodes/writer/rename", data={"new_id": bad}, headers=HTMX
        )
        assert message in text_of(refused.text), bad


async def test_the_workflow_panel_saves_name_mode_and_variables(
    client: Client, store: Store
) -> None:
    workflow_id = await create(store)
    url = f"/workflows/{workflow_id}/panel"
    form = {
        "name": "Renamed",
        "description": "d",
        "mode": "workflow",
        "environment": '[{"name": "BASE", "value": "x"}]',
        "conversation_variables": "",
    }
    response = await client.post(url, data=form, headers=HTMX)
    assert 'id="wf-name" hx-swap-oob="true">Renamed' in response.text
    workflow = await store.workflows.get(workflow_id)
    assert workflow is not None
    assert workflow.name == "Renamed"
    assert workflow.document["environment"] == [{"name": "BASE", "value": "x"}]
    bad = await client.post(url, data={**form, "name": "", "environment": "[oops"}, headers=HTMX)
    page = text_of(bad.text)
    assert "A workflow needs a name." in page
    assert "not valid JSON" in page
    assert "[oops" in bad.text
    changed = await client.post(url, data={**form, "mode": "chat"}, headers=HTMX)
    assert changed.headers.get("HX-Refresh") == "true"


async def test_publish_refuses_errors_then_publishes(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    await client.post(
        f"/workflows/{workflow_id}/structure", json={"deleted": ["end"]}, headers=ADMIN
    )
    refused = text_of(
        assert_ok(await client.post(f"/workflows/{workflow_id}/publish", headers=HTMX))
    )
    assert "Not published" in refused
    assert "needs an End node" in refused
    await client.post(f"/workflows/{workflow_id}/undo", headers=ADMIN)
    published = text_of(
        assert_ok(await client.post(f"/workflows/{workflow_id}/publish", headers=HTMX))
    )
    assert "Published version 1" in published


async def test_export(client: Client, store: Store) -> None:
    workflow_id = await create(store, name="Exported")
    response = await client.get(f"/workflows/{workflow_id}/export?format=yaml", headers=ADMIN)
    assert response.headers["content-disposition"].endswith('.yml"')
    assert "name: Exported" in response.text

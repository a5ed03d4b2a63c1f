"""The editor's form for an agent node: its tools chosen from the built-in ones, saved with
their fixed values, and the issues of a bad tool list."""

from __future__ import annotations

from typing import Any

from flowstead.engine.tools import BUILTIN_TOOLS
from flowstead.store.protocol import Store
from tests.integration.web.conftest import ADMIN, HTMX, Client, assert_ok, create, text_of


async def agent_config(store: Store, workflow_id: str) -> dict[str, Any]:
    workflow = await store.workflows.get(workflow_id)
    assert workflow is not None
    found = next(n for n in workflow.document["nodes"] if n["id"] == "agent")
    config: dict[str, Any] = found.get("config", {})
    return config


async def test_the_agent_form_shows_its_fields_and_saves_its_tools(
    client: Client, store: Store
) -> None:
    workflow_id = await create(store)
    added = await client.post(
        f"/workflows/{workflow_id}/nodes", json={"type": "agent", "x": 0, "y": 0}, headers=ADMIN
    )
    assert added.json()["node_id"] == "agent"
    url = f"/workflows/{workflow_id}/nodes/agent"
    panel = assert_ok(await client.get(url, headers=HTMX))
    for name in ("c.model.provider", "c.instruction", "c.query", "c.max_iterations"):
        assert f'name="{name}"' in panel
    assert "Add tool" in text_of(panel)
    assert "an agent needs at least one tool" in text_of(panel)

    with_row = assert_ok(
        await client.post(url, data={"c.tools._list": "1", "_action": "add:c.tools"}, headers=HTMX)
    )
    row = with_row[with_row.index('name="c.tools.0.name"') :]
    row = row[: row.index("</select>")]
    for tool in BUILTIN_TOOLS.names():
        assert f'<option value="{tool}"' in row

    form = {
        "c.model.provider": "fake",
        "c.model.name": "fake-chat",
        "c.instruction": "Use the tools.",
        "c.query": "{{ start.question }}",
        "c.max_iterations": "3",
        "c.tools._list": "1",
        "c.tools.0._item": "1",
        "c.tools.0.name": "current_time",
        "c.tools.0.parameters": '{"timezone": "Europe/Paris"}',
        "c.tools.1._item": "1",
        "c.tools.1.name": "http_get_json",
        "c.tools.1.parameters": "",
    }
    saved = assert_ok(await client.post(url, data=form, headers=HTMX))
    assert await agent_config(store, workflow_id) == {
        "model": {"provider": "fake", "name": "fake-chat"},
        "instruction": "Use the tools.",
        "query": "{{ start.question }}",
        "tools": [
            {"name": "current_time", "parameters": {"timezone": "Europe/Paris"}},
            {"name": "http_get_json"},
        ],
        "max_iterations": 3,
    }
    assert "an agent needs at least one tool" not in text_of(saved)
    page = assert_ok(await client.get(f"/workflows/{workflow_id}", headers=ADMIN))
    card = page[page.index('id="node-agent"') :][:1500]
    assert "current_time, http_get_json" in card


async def test_an_unknown_tool_is_an_issue_on_the_node(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    await client.post(
        f"/workflows/{workflow_id}/nodes", json={"type": "agent", "x": 0, "y": 0}, headers=ADMIN
    )
    url = f"/workflows/{workflow_id}/nodes/agent"
    form = {"c.tools._list": "1", "c.tools.0._item": "1", "c.tools.0.name": "teleport"}

    panel = assert_ok(await client.post(url, data=form, headers=HTMX))

    assert "`teleport` is not a built-in tool" in text_of(panel)
    assert await agent_config(store, workflow_id) == {"tools": [{"name": "teleport"}]}
    reopened = assert_ok(await client.get(url, headers=HTMX))
    assert '<option value="teleport" selected>' in reopened

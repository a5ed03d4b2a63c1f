from __future__ import annotations

import logging

import pytest
import yaml

from flowstead.store.protocol import Store
from tests.integration.api.conftest import (
    ADMIN,
    Client,
    assert_error,
    create_workflow,
    publish,
    snapshot,
)

LLM_DOCUMENT = {
    "flowstead": 1,
    "nodes": [
        {"id": "start", "type": "start", "config": {"inputs": [{"name": "question"}]}},
        {
            "id": "llm",
            "type": "llm",
            "config": {
                "model": {"provider": "openai", "name": "gpt-4o-mini"},
                "messages": [{"role": "user", "text": "{{ start.question }}"}],
            },
        },
        {
            "id": "end",
            "type": "end",
            "config": {"outputs": [{"name": "answer", "value": "llm.text"}]},
        },
    ],
    "edges": [{"from": "start", "to": "llm"}, {"from": "llm", "to": "end"}],
}


def broken(document: dict[str, object]) -> dict[str, object]:
    """The document with a dangling reference (an error validation reports)."""
    text = yaml.safe_dump(document).replace("{{ start.question }}", "{{ ghost.x }}")
    loaded: dict[str, object] = yaml.safe_load(text)
    return loaded


async def test_create_answers_201_with_a_start_end_skeleton_and_logs_it(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="flowstead.workflows"):
        created = await create_workflow(client)
    assert created["name"] == "Greeter"
    assert created["description"] == "says hello"
    assert created["trigger"] == {"type": "manual"}
    assert [n["type"] for n in created["document"]["nodes"]] == ["start", "end"]
    assert created["issues"] == []
    assert created["published_version"] is None
    (record,) = [r for r in caplog.records if r.getMessage() == "workflow created"]
    assert record.workflow_id == created["id"]  # type: ignore[attr-defined]


async def test_create_in_chat_mode_ends_with_an_answer(client: Client) -> None:
    created = await create_workflow(client, mode="chat")
    assert created["mode"] == "chat"
    assert [n["type"] for n in created["document"]["nodes"]] == ["start", "answer"]


async def test_create_with_a_document_reports_its_issues(client: Client) -> None:
    created = await create_workflow(client, document=broken(LLM_DOCUMENT))
    assert any(i["severity"] == "error" for i in created["issues"])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"description": "no name"}, "name"),
        ({"name": "x", "trigger": "cron"}, "trigger"),
        ({"name": "x", "document": {"nodes": "many"}}, "document"),
        ({"name": "x", "document": {"flowstead": 9}}, "version"),
    ],
)
async def test_create_refuses_bad_bodies_and_stores_nothing(
    client: Client, store: Store, body: dict[str, object], fragment: str
) -> None:
    before = await snapshot(store)
    response = await client.post("/api/workflows", json=body, headers=ADMIN)
    assert fragment in assert_error(response, 400)
    assert await snapshot(store) == before


async def test_malformed_json_is_a_400(client: Client, store: Store) -> None:
    before = await snapshot(store)
    response = await client.post(
        "/api/workflows",
        content=b'{"name": ',
        headers=ADMIN | {"Content-Type": "application/json"},
    )
    assert "JSON" in assert_error(response, 400, "invalid_param")
    assert await snapshot(store) == before


async def test_list_searches_names_and_descriptions(client: Client) -> None:
    await create_workflow(client, name="Summarise mail", description="")
    await create_workflow(client, name="Translate", description="to French")
    everything = (await client.get("/api/workflows", headers=ADMIN)).json()
    assert {w["name"] for w in everything} == {"Summarise mail", "Translate"}
    assert "document" not in everything[0]
    found = (await client.get("/api/workflows?search=FRENCH", headers=ADMIN)).json()
    assert [w["name"] for w in found] == ["Translate"]
    assert_error(await client.get("/api/workflows?limit=0", headers=ADMIN), 400)


async def test_get_and_unknown_ids(client: Client) -> None:
    created = await create_workflow(client)
    fetched = (await client.get(f"/api/workflows/{created['id']}", headers=ADMIN)).json()
    assert fetched["document"] == created["document"]
    assert_error(await client.get("/api/workflows/nope", headers=ADMIN), 404, "not_found")
    assert_error(await client.delete("/api/workflows/nope", headers=ADMIN), 404)
    assert_error(await client.post("/api/workflows/nope/versions", headers=ADMIN), 404)


async def test_put_saves_the_draft_and_answers_with_its_issues(client: Client) -> None:
    created = await create_workflow(client)
    path = f"/api/workflows/{created['id']}"
    saved = await client.put(path, json={"document": broken(LLM_DOCUMENT)}, headers=ADMIN)
    assert saved.status_code == 200
    issues = saved.json()["issues"]
    assert any("ghost" in i["message"] for i in issues)
    renamed = await client.put(
        path, json={"document": LLM_DOCUMENT, "name": "Asker"}, headers=ADMIN
    )
    assert renamed.json()["issues"] == []
    assert renamed.json()["name"] == "Asker"


async def test_publish_refuses_errors_with_422_listing_them(client: Client, store: Store) -> None:
    created = await create_workflow(client, document=broken(LLM_DOCUMENT))
    response = await client.post(f"/api/workflows/{created['id']}/versions", headers=ADMIN)
    assert_error(response, 422, "invalid_workflow")
    assert any(i["node_id"] == "llm" for i in response.json()["issues"])
    assert await store.workflows.list_versions(created["id"]) == []


async def test_versions_are_immutable_and_restorable(client: Client) -> None:
    created = await create_workflow(client, document=LLM_DOCUMENT)
    first = await publish(client, created["id"])
    assert first["number"] == 1
    path = f"/api/workflows/{created['id']}"
    skeleton = (await create_workflow(client))["document"]
    await client.put(path, json={"document": skeleton}, headers=ADMIN)
    second = await publish(client, created["id"])
    assert second["number"] == 2
    versions = (await client.get(f"{path}/versions", headers=ADMIN)).json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[1]["document"]["nodes"][1]["type"] == "llm"
    restored = await client.post(f"{path}/versions/1/restore", headers=ADMIN)
    assert restored.status_code == 200
    assert [n["id"] for n in restored.json()["document"]["nodes"]] == ["start", "llm", "end"]
    assert restored.json()["published_version"] == 2
    assert_error(await client.post(f"{path}/versions/9/restore", headers=ADMIN), 404)


async def test_duplicate_copies_the_draft(client: Client) -> None:
    created = await create_workflow(client, document=LLM_DOCUMENT)
    path = f"/api/workflows/{created['id']}/duplicate"
    copy = (await client.post(path, headers=ADMIN)).json()
    assert copy["id"] != created["id"]
    assert copy["name"] == "Greeter (copy)"
    assert copy["document"] == created["document"]
    named = (await client.post(path, json={"name": "Other"}, headers=ADMIN)).json()
    assert named["name"] == "Other"


async def test_delete_removes_it(client: Client) -> None:
    created = await create_workflow(client)
    assert (
        await client.delete(f"/api/workflows/{created['id']}", headers=ADMIN)
    ).status_code == 204
    assert_error(await client.get(f"/api/workflows/{created['id']}", headers=ADMIN), 404)


async def test_export_and_import_round_trip(client: Client) -> None:
    created = await create_workflow(client, name="Asker", document=LLM_DOCUMENT)
    exported = await client.get(f"/api/workflows/{created['id']}/export", headers=ADMIN)
    assert exported.headers["content-type"].startswith("application/yaml")
    assert "attachment" in exported.headers["content-disposition"]
    document = yaml.safe_load(exported.text)
    assert document["name"] == "Asker"
    assert document["flowstead"] == 1
    as_json = await client.get(f"/api/workflows/{created['id']}/export?format=json", headers=ADMIN)
    assert as_json.json()["nodes"] == document["nodes"]
    imported = await client.post(
        "/api/workflows/import", json={"content": exported.text}, headers=ADMIN
    )
    assert imported.status_code == 201
    assert imported.json()["name"] == "Asker"
    assert imported.json()["document"] == created["document"]
    assert_error(
        await client.post("/api/workflows/import", json={"content": "nodes: ["}, headers=ADMIN),
        400,
        "invalid_document",
    )
    assert_error(
        await client.get(f"/api/workflows/{created['id']}/export?format=xml", headers=ADMIN), 400
    )

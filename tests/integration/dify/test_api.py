"""`/api/workflows/import/dify` (upload or pasted YAML, and a preview that stores nothing)
and `GET /api/workflows/{id}/export?format=dify`."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
import yaml

from flowstead.dsl.dify import import_dify
from flowstead.dsl.document import from_data, to_data
from flowstead.store.protocol import Store
from tests.integration.api.conftest import (
    ADMIN,
    TEMPLATE_DOCUMENT,
    Client,
    assert_error,
    create_workflow,
    publish,
    snapshot,
)
from tests.integration.dify.conftest import CORPUS_FILES, needs_corpus

IMPORT = "/api/workflows/import/dify"
PREVIEW = f"{IMPORT}/preview"
MB = 1024 * 1024

# Start → LLM → End on a model provider called `openai`.
DSL = """\
app: {name: Ask, description: asks a model, mode: workflow}
kind: app
version: 0.3.1
workflow:
  graph:
    nodes:
    - id: '1'
      data:
        type: start
        title: Start
        variables: [{variable: question, label: Question, type: paragraph, required: true}]
    - id: '2'
      data:
        type: llm
        title: LLM
        model: {provider: openai, name: gpt-4o-mini, mode: chat, completion_params: {}}
        prompt_template: [{role: user, text: '{{#1.question#}}'}]
        context: {enabled: false}
    - id: '3'
      data:
        type: end
        title: End
        outputs: [{variable: answer, value_selector: ['2', text]}]
    edges:
    - {source: '1', target: '2', sourceHandle: source}
    - {source: '2', target: '3', sourceHandle: source}
"""


async def upload(client: Client, content: bytes | str, **fields: str) -> Any:
    files = {"file": ("app.yml", content, "application/yaml")}
    return await client.post(IMPORT, files=files, data=fields, headers=ADMIN)


async def test_an_uploaded_file_becomes_a_workflow_whose_draft_is_the_import(
    client: Client,
) -> None:
    response = await upload(client, DSL.encode())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Ask"
    assert body["description"] == "asks a model"
    assert body["mode"] == "workflow"
    assert body["issues"] == []
    assert body["needs"] == {
        "providers": {"openai": ["gpt-4o-mini"]},
        "plugins": [],
        "knowledge_bases": [],
    }
    assert {"node_id": "llm", "severity": "warning"}.items() <= body["report"][0].items()
    assert "model provider 'openai' is not configured" in body["report"][0]["message"]
    stored = await client.get(f"/api/workflows/{body['id']}", headers=ADMIN)
    assert stored.json()["document"] == body["document"]
    assert [n["id"] for n in body["document"]["nodes"]] == ["start", "llm", "end"]
    assert stored.json()["name"] == "Ask"


async def test_pasted_yaml_with_a_name_of_its_own(client: Client) -> None:
    response = await client.post(IMPORT, json={"content": DSL, "name": "Mine"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Mine"
    listed = await client.get("/api/workflows", headers=ADMIN)
    assert [w["name"] for w in listed.json()] == ["Mine"]


async def test_an_upload_may_name_the_workflow(client: Client) -> None:
    response = await upload(client, DSL, name="Uploaded")
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Uploaded"


async def test_providers_configured_here_are_not_asked_for(client: Client) -> None:
    saved = await client.put(
        "/api/providers/openai", json={"kind": "openai", "api_key": "sk-x"}, headers=ADMIN
    )
    assert saved.status_code == 200, saved.text
    body = (await upload(client, DSL)).json()
    assert body["needs"]["providers"] == {}
    assert body["report"] == []


async def test_validation_issues_come_with_the_import(client: Client) -> None:
    dangling = DSL.replace("value_selector: ['2', text]", "value_selector: ['2', nothing]")
    body = (await upload(client, dangling)).json()
    assert [(i["code"], i["node_id"]) for i in body["issues"]] == [("missing_reference", "end")]


async def test_a_preview_answers_the_same_and_stores_nothing(client: Client, store: Store) -> None:
    before = await snapshot(store)
    response = await client.post(PREVIEW, json={"content": DSL}, headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] is None
    assert body["name"] == "Ask"
    assert body["needs"]["providers"] == {"openai": ["gpt-4o-mini"]}
    assert await snapshot(store) == before
    files = {"file": ("app.yml", DSL.encode(), "application/yaml")}
    uploaded = await client.post(PREVIEW, files=files, headers=ADMIN)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json() == body
    assert await snapshot(store) == before


BAD_FILES = [
    # (the file, status, code, a part of the message)
    ("app: [unclosed\nworkflow: {", 400, "invalid_yaml", "Not valid YAML"),
    (DSL.replace("kind: app", "kind: rag_pipeline"), 400, "unsupported_kind", "rag_pipeline"),
    (DSL.replace("version: 0.3.1", "version: 0.9.0"), 400, "unsupported_version", "0.9.0"),
    (DSL.replace("mode: workflow", "mode: completion"), 400, "unsupported_mode", "completion"),
    ("- a\n- list\n", 400, "not_a_dify_app", "Not a Dify DSL file"),
    # Valid YAML (the rest is a comment): only the size check refuses it.
    (DSL + "#" * (10 * MB), 413, "file_too_large", "over 10 MB are not imported"),
]


@pytest.mark.parametrize("as_json", [False, True], ids=["upload", "pasted"])
async def test_bad_files_are_refused_and_nothing_is_stored(
    client: Client, store: Store, as_json: bool
) -> None:
    before = await snapshot(store)
    for content, status, code, message in BAD_FILES:
        for path in (IMPORT, PREVIEW):
            if as_json:
                response = await client.post(path, json={"content": content}, headers=ADMIN)
            else:
                files = {"file": ("app.yml", content.encode(), "application/yaml")}
                response = await client.post(path, files=files, headers=ADMIN)
            assert message in assert_error(response, status, code), (path, code)
    assert await snapshot(store) == before


async def test_a_body_over_the_instance_limit_is_refused_before_it_is_read(
    client: Client, store: Store
) -> None:
    before = await snapshot(store)
    response = await upload(client, b"#" * (13 * MB))
    assert "larger than 12 MiB" in assert_error(response, 413, "request_too_large")
    assert await snapshot(store) == before


async def test_requests_that_carry_no_dsl(client: Client, store: Store) -> None:
    before = await snapshot(store)
    as_json = {**ADMIN, "Content-Type": "application/json"}
    refused = [
        (await client.post(IMPORT, json={"name": "no content"}, headers=ADMIN), 400, "pasted"),
        (await client.post(IMPORT, content=b"{not json", headers=as_json), 400, "pasted"),
        (
            await client.post(IMPORT, files={"other": ("a", b"x", "text/plain")}, headers=ADMIN),
            400,
            "field named `file`",
        ),
        (
            await client.post(
                IMPORT, content=DSL.encode(), headers={**ADMIN, "Content-Type": "text/yaml"}
            ),
            415,
            "multipart",
        ),
    ]
    for response, status, message in refused:
        assert message in assert_error(response, status)
    assert await snapshot(store) == before


async def test_import_needs_the_admin(client: Client) -> None:
    response = await client.post(IMPORT, json={"content": DSL})
    assert_error(response, 401)


async def test_export_as_dify_and_import_again_gives_the_same_document(client: Client) -> None:
    created = (await upload(client, DSL)).json()
    response = await client.get(
        f"/api/workflows/{created['id']}/export", params={"format": "dify"}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/yaml")
    assert f'filename="{created["id"]}.dify.yml"' in response.headers["content-disposition"]
    data = yaml.safe_load(response.text)
    assert (data["kind"], data["app"]["mode"], data["app"]["name"]) == ("app", "workflow", "Ask")
    again = import_dify(response.text).document
    assert to_data(again) == {**created["document"], "name": "Ask", "description": "asks a model"}


async def test_export_a_published_version(client: Client) -> None:
    created = await create_workflow(client, document=TEMPLATE_DOCUMENT, name="Greeter")
    await publish(client, created["id"])
    changed = {**TEMPLATE_DOCUMENT, "nodes": [*TEMPLATE_DOCUMENT["nodes"]]}
    changed["nodes"][1] = {**changed["nodes"][1], "title": "Changed"}
    saved = await client.put(
        f"/api/workflows/{created['id']}", json={"document": changed}, headers=ADMIN
    )
    assert saved.status_code == 200, saved.text
    url = f"/api/workflows/{created['id']}/export"
    for fmt, parse in (("dify", _dify_titles), ("yaml", _titles)):
        version = await client.get(url, params={"format": fmt, "version": 1}, headers=ADMIN)
        draft = await client.get(url, params={"format": fmt}, headers=ADMIN)
        assert parse(version.text) == ["", "", ""], fmt
        assert parse(draft.text) == ["", "Changed", ""], fmt
    missing = await client.get(url, params={"format": "dify", "version": 7}, headers=ADMIN)
    assert_error(missing, 404)


def _titles(text: str) -> list[str]:
    return [n.title for n in from_data(yaml.safe_load(text)).nodes]


def _dify_titles(text: str) -> list[str]:
    return [n.title for n in import_dify(text).document.nodes]


async def test_export_refuses_a_draft_whose_settings_are_invalid(client: Client) -> None:
    broken = {
        **TEMPLATE_DOCUMENT,
        "nodes": [
            *TEMPLATE_DOCUMENT["nodes"][:1],
            {"id": "greet", "type": "template", "config": {"template": 3}},
            TEMPLATE_DOCUMENT["nodes"][2],
        ],
    }
    created = await create_workflow(client, document=broken)
    response = await client.get(
        f"/api/workflows/{created['id']}/export", params={"format": "dify"}, headers=ADMIN
    )
    assert "node `greet`" in assert_error(response, 422, "not_exportable")


async def test_export_of_a_missing_workflow(client: Client) -> None:
    response = await client.get("/api/workflows/nope/export?format=dify", headers=ADMIN)
    assert_error(response, 404)


@needs_corpus
async def test_every_corpus_file_imports_over_the_api(client: Client) -> None:
    for path in CORPUS_FILES:
        response = await upload(client, path.read_bytes())
        assert response.status_code == 201, (path.name, response.text)
        body = response.json()
        expected = import_dify(path.read_bytes())
        assert body["needs"] == msgspec.to_builtins(expected.needs), path.name
        assert body["report"] == msgspec.to_builtins(expected.report), path.name
    listed = await client.get("/api/workflows", params={"limit": 100}, headers=ADMIN)
    assert len(listed.json()) == len(CORPUS_FILES)


async def test_the_routes_are_in_the_openapi_schema(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert {IMPORT, PREVIEW} <= set(schema["paths"])
    export = schema["paths"]["/api/workflows/{workflow_id}/export"]["get"]
    fmt = next(p for p in export["parameters"] if p["name"] == "format")
    assert "dify" in str(fmt["schema"])
    assert "version" in {p["name"] for p in export["parameters"]}

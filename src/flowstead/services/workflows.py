"""Workflow use cases: create, edit the draft, publish versions, import and export.

Drafts may hold validation errors (the canvas shows them); publishing refuses them, since
a published version is what `/v1/*` runs.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import msgspec

from flowstead.dsl.document import Document, DocumentError, dump_json, dump_yaml, parse, to_data
from flowstead.dsl.document import from_data as document_from_data
from flowstead.engine.nodes.start import StartConfig, StartInput
from flowstead.engine.validation import Issue, errors, validate
from flowstead.store.errors import NotFound
from flowstead.store.protocol import Store
from flowstead.store.records import Workflow, WorkflowVersion

log = logging.getLogger("flowstead.workflows")

Trigger = Literal["manual"]
ExportFormat = Literal["yaml", "json"]


class WorkflowInvalid(Exception):
    """The document has validation errors, so it cannot be published or run."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


class NotPublished(Exception):
    """The workflow has no published version, so apps cannot call it yet."""


class Draft(msgspec.Struct, frozen=True):
    """A saved draft and what validation says about it."""

    workflow: Workflow
    issues: list[Issue]


def skeleton(
    name: str, description: str = "", mode: Literal["workflow", "chat"] = "workflow"
) -> Document:
    """The document of a new workflow: Start → End, or Start → Answer in chat mode."""
    last: dict[str, Any] = (
        {"id": "answer", "type": "answer", "title": "Answer", "config": {"text": "{{ sys.query }}"}}
        if mode == "chat"
        else {"id": "end", "type": "end", "title": "End", "config": {"outputs": []}}
    )
    start = {"id": "start", "type": "start", "title": "Start", "config": {"inputs": []}}
    data = {
        "name": name,
        "description": description,
        "mode": mode,
        "nodes": [
            {**start, "position": {"x": 80, "y": 200}},
            {**last, "position": {"x": 420, "y": 200}},
        ],
        "edges": [{"from": "start", "to": last["id"]}],
    }
    return document_from_data(data)


def _document(data: dict[str, Any] | str | bytes) -> Document:
    return document_from_data(data) if isinstance(data, dict) else parse(data)


def _stored(document: Document) -> dict[str, Any]:
    """The document as kept in the store: the record holds its name and description."""
    data = to_data(document)
    data.pop("name", None)
    data.pop("description", None)
    return data


async def _get(store: Store, workflow_id: str) -> Workflow:
    workflow = await store.workflows.get(workflow_id)
    if workflow is None:
        raise NotFound("workflow", workflow_id)
    return workflow


async def create(
    store: Store,
    *,
    name: str,
    description: str = "",
    trigger: Trigger = "manual",
    mode: Literal["workflow", "chat"] | None = None,
    document: dict[str, Any] | str | None = None,
) -> Draft:
    parsed = (
        skeleton(name, description, mode or "workflow") if document is None else _document(document)
    )
    if mode is not None and parsed.mode != mode:
        parsed = msgspec.structs.replace(parsed, mode=mode)
    workflow = await store.workflows.create(
        name=name or parsed.name or "Untitled workflow",
        description=description or parsed.description,
        document=_stored(parsed),
        mode=parsed.mode,
        trigger={"type": trigger},
    )
    log.info("workflow created", extra={"workflow_id": workflow.id, "workflow_name": workflow.name})
    return Draft(workflow, validate(parsed))


async def search(
    store: Store, query: str | None = None, *, limit: int = 50, offset: int = 0
) -> list[Workflow]:
    return await store.workflows.list(search=query or None, limit=limit, offset=offset)


async def get(store: Store, workflow_id: str) -> Draft:
    workflow = await _get(store, workflow_id)
    return Draft(workflow, validate(document_from_data(workflow.document)))


async def update_draft(
    store: Store,
    workflow_id: str,
    document: dict[str, Any] | str,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Draft:
    parsed = _document(document)
    workflow = await store.workflows.update_draft(
        workflow_id, _stored(parsed), name=name, description=description, mode=parsed.mode
    )
    return Draft(workflow, validate(parsed))


async def publish(store: Store, workflow_id: str) -> WorkflowVersion:
    workflow = await _get(store, workflow_id)
    found = errors(validate(document_from_data(workflow.document)))
    if found:
        raise WorkflowInvalid(found)
    version = await store.workflows.publish(workflow_id)
    log.info("workflow published", extra={"workflow_id": workflow_id, "version": version.number})
    return version


async def published(store: Store, workflow_id: str) -> tuple[Workflow, WorkflowVersion]:
    """The workflow and its newest published version (what `/v1/*` runs)."""
    workflow = await _get(store, workflow_id)
    version = None
    if workflow.published_version is not None:
        version = await store.workflows.get_version(workflow_id, workflow.published_version)
    if version is None:
        raise NotPublished(f"workflow {workflow_id} has not been published yet")
    return workflow, version


def start_inputs(document: Document) -> list[StartInput]:
    """The inputs the Start node declares (none when it is missing or its config is bad)."""
    start = next((node for node in document.nodes if node.type == "start"), None)
    if start is None:
        return []
    try:
        return msgspec.convert(start.config, StartConfig, str_keys=True).inputs
    except msgspec.ValidationError:
        return []


async def versions(store: Store, workflow_id: str) -> list[WorkflowVersion]:
    await _get(store, workflow_id)
    return await store.workflows.list_versions(workflow_id)


async def restore(store: Store, workflow_id: str, number: int) -> Draft:
    """Copy a published version back into the draft (the versions stay as they are)."""
    version = await store.workflows.get_version(workflow_id, number)
    if version is None:
        raise NotFound("version", f"{workflow_id} v{number}")
    return await update_draft(store, workflow_id, version.document)


async def duplicate(store: Store, workflow_id: str, name: str | None = None) -> Draft:
    source = await _get(store, workflow_id)
    return await create(
        store,
        name=name or f"{source.name} (copy)",
        description=source.description,
        document=source.document,
    )


async def delete(store: Store, workflow_id: str) -> None:
    if not await store.workflows.delete(workflow_id):
        raise NotFound("workflow", workflow_id)


async def import_document(store: Store, text: str | bytes, name: str | None = None) -> Draft:
    """A new workflow from a Flowstead YAML or JSON document."""
    parsed = parse(text)
    return await create(
        store, name=name or parsed.name, description=parsed.description, document=to_data(parsed)
    )


async def exported(store: Store, workflow_id: str, version: int | None = None) -> Document:
    """The draft, or a published version, as a self-contained document (with its name and
    description)."""
    found: Workflow | WorkflowVersion = await _get(store, workflow_id)
    if version is not None:
        published = await store.workflows.get_version(workflow_id, version)
        if published is None:
            raise NotFound("version", f"{workflow_id} v{version}")
        found = published
    return msgspec.structs.replace(
        document_from_data(found.document), name=found.name, description=found.description
    )


async def export_document(
    store: Store, workflow_id: str, fmt: ExportFormat = "yaml", version: int | None = None
) -> str:
    """The draft (or a published version) as a self-contained document."""
    document = await exported(store, workflow_id, version)
    return dump_yaml(document) if fmt == "yaml" else dump_json(document)


__all__ = [
    "DocumentError",
    "Draft",
    "NotPublished",
    "WorkflowInvalid",
    "create",
    "delete",
    "duplicate",
    "export_document",
    "exported",
    "get",
    "import_document",
    "publish",
    "published",
    "restore",
    "search",
    "start_inputs",
    "update_draft",
    "versions",
]

"""The workflow list and the ways to add one: from a starter, or an imported file in
Flowstead's format or Dify's DSL (with the import report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
import yaml

from flowstead.dsl.dify import DifyImportError, ReportEntry, import_dify
from flowstead.dsl.dify.model import Needs
from flowstead.dsl.document import DocumentError, to_data
from flowstead.engine.validation import Issue
from flowstead.services import providers, workflows
from flowstead.services.workflows import Draft
from flowstead.store.protocol import Store
from flowstead.store.records import Run, Workflow
from flowstead.web.starters import Starter

LIST_LIMIT = 200


@dataclass(frozen=True)
class WorkflowRow:
    workflow: Workflow
    last_run: Run | None
    node_count: int


async def workflow_rows(store: Store, query: str = "") -> list[WorkflowRow]:
    found = await workflows.search(store, query.strip() or None, limit=LIST_LIMIT)
    rows = []
    for workflow in found:
        last = await store.runs.list(workflow_id=workflow.id, limit=1)
        nodes = workflow.document.get("nodes") or []
        rows.append(WorkflowRow(workflow, last[0] if last else None, len(nodes)))
    return rows


async def create_from_starter(store: Store, starter: Starter, name: str) -> Draft:
    configured = await providers.listed(store)
    document = starter.build(configured[0].id if configured else "", "")
    return await workflows.create(
        store,
        name=name or (starter.name if starter.id != "blank" else "Untitled workflow"),
        description="" if starter.id == "blank" else starter.description,
        document=document,
    )


@dataclass
class ImportOutcome:
    kind: str = ""
    workflow: Workflow | None = None
    report: list[ReportEntry] = field(default_factory=list)
    needs: Needs | None = None
    issues: list[Issue] = field(default_factory=list)
    error: str = ""

    def entries(self, severity: str) -> list[ReportEntry]:
        return [e for e in self.report if e.severity == severity]


def _is_dify(text: bytes) -> bool:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and ("app" in data and "workflow" in data)


async def import_text(store: Store, text: bytes, name: str = "") -> ImportOutcome:
    """A new workflow from a Flowstead document or a Dify DSL file; an outcome with an
    error (and nothing created) when the text is neither."""
    if not text.strip():
        return ImportOutcome(error="Choose a file to import, or paste a document.")
    if _is_dify(text):
        known = [p.id for p in await providers.listed(store)]
        try:
            result = import_dify(text, providers=known)
        except DifyImportError as exc:
            return ImportOutcome(kind="dify", error=f"This Dify file cannot be imported: {exc}")
        draft = await workflows.create(
            store,
            name=name or result.document.name or "Imported from Dify",
            description=result.document.description,
            document=to_data(result.document),
        )
        return ImportOutcome(
            kind="dify",
            workflow=draft.workflow,
            report=list(result.report),
            needs=result.needs,
            issues=draft.issues,
        )
    try:
        draft = await workflows.import_document(store, text, name or None)
    except (DocumentError, UnicodeDecodeError, msgspec.ValidationError) as exc:
        return ImportOutcome(kind="flowstead", error=f"This is not a workflow document: {exc}")
    return ImportOutcome(kind="flowstead", workflow=draft.workflow, issues=draft.issues)


async def delete_counts(store: Store, workflow_id: str) -> dict[str, int]:
    """What deleting the workflow removes with it (runs counted up to 1000)."""
    runs = await store.runs.list(workflow_id=workflow_id, limit=1000)
    keys = await store.api_keys.list(workflow_id)
    versions = await store.workflows.list_versions(workflow_id)
    return {
        "runs": len(runs),
        "keys": sum(1 for k in keys if k.revoked_at is None),
        "versions": len(versions),
    }

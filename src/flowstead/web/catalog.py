"""The workflow list and the ways to add one: from a starter, or an imported file in
Flowstead's format or Dify's DSL (with the import report)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

import msgspec

from flowstead.dsl.dify import DifyImportError, ReportEntry
from flowstead.dsl.dify.model import Needs
from flowstead.dsl.document import DocumentError
from flowstead.engine.ports import LLMError
from flowstead.engine.validation import Issue
from flowstead.providers.router import ProviderRouter
from flowstead.services import dify_import, providers, workflows
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


MODEL_LOOKUP_SECONDS = 3.0
# Model names that are not chat models, left out when a template picks one.
_NOT_CHAT = re.compile(r"embed|whisper|tts|dall-e|moderation|rerank|image|audio", re.IGNORECASE)


async def default_model(store: Store, router: ProviderRouter) -> tuple[str, str]:
    """The first configured provider and its first chat model, for a new workflow's LLM
    nodes ("" for what cannot be found quickly)."""
    configured = await providers.listed(store)
    if not configured:
        return "", ""
    provider = configured[0].id
    try:
        async with asyncio.timeout(MODEL_LOOKUP_SECONDS):
            models = await providers.models(store, router, provider)
    except (LLMError, TimeoutError):
        return provider, ""
    return provider, next((m for m in models if not _NOT_CHAT.search(m)), "")


async def create_from_starter(
    store: Store, router: ProviderRouter, starter: Starter, name: str
) -> Draft:
    provider, model = await default_model(store, router) if starter.id != "blank" else ("", "")
    document = starter.build(provider, model)
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


_TOP_KEY = re.compile(rb"^(app|workflow|kind):", re.MULTILINE)


def _is_dify(text: bytes) -> bool:
    """A Dify DSL file has top-level `app:` and `workflow:` sections (Flowstead documents
    have `nodes:`); the importer then checks it properly."""
    keys = {match.group(1) for match in _TOP_KEY.finditer(text)}
    return {b"app", b"workflow"} <= keys


async def import_text(store: Store, text: bytes, name: str = "") -> ImportOutcome:
    """A new workflow from a Flowstead document or a Dify DSL file; an outcome with an
    error (and nothing created) when the text is neither."""
    if not text.strip():
        return ImportOutcome(error="Choose a file to import, or paste a document.")
    if _is_dify(text):
        try:
            result = await dify_import.import_workflow(store, text, name or None)
        except DifyImportError as exc:
            return ImportOutcome(kind="dify", error=f"This Dify file cannot be imported: {exc}")
        return ImportOutcome(
            kind="dify",
            workflow=result.workflow,
            report=list(result.report),
            needs=result.needs,
            issues=result.issues,
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

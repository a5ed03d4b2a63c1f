"""Dify DSL in and out: a new workflow from a Dify export (or a preview of one) with a report
of what needs attention, and a workflow's draft or version as a Dify export."""

from __future__ import annotations

import asyncio
import logging

import msgspec

from flowstead.dsl.dify import DifyImportError, ImportResult, ReportEntry, export_dify, import_dify
from flowstead.dsl.dify.model import Needs
from flowstead.dsl.dify.source import check_size
from flowstead.dsl.document import Document, to_data
from flowstead.engine.validation import Issue, validate
from flowstead.services import workflows
from flowstead.store.protocol import Store
from flowstead.store.records import Workflow

log = logging.getLogger("flowstead.dify")


class DifyImport(msgspec.Struct, frozen=True, kw_only=True):
    """What an import made (`workflow` is None for a preview), what validation says about
    the document, and the importer's report: what was mapped and what needs attention."""

    workflow: Workflow | None
    document: Document
    issues: list[Issue]
    report: list[ReportEntry]
    needs: Needs


async def preview(store: Store, text: str | bytes) -> DifyImport:
    """Import without storing anything: the document, its issues and the report."""
    return await _import(store, text, None, store_it=False)


async def import_workflow(store: Store, text: str | bytes, name: str | None = None) -> DifyImport:
    """A new workflow whose draft is the imported document (issues and all: the canvas
    shows them). Raises `DifyImportError` for a file that is not an importable Dify app."""
    return await _import(store, text, name, store_it=True)


async def _import(
    store: Store, text: str | bytes, name: str | None, *, store_it: bool
) -> DifyImport:
    check_size(len(text) if isinstance(text, bytes) else len(text.encode("utf-8")))
    configured = [provider.id for provider in await store.providers.list()]
    # Parsing a few megabytes of YAML takes a while; the event loop keeps serving meanwhile.
    result: ImportResult = await asyncio.to_thread(import_dify, text, providers=configured)
    document = result.document
    workflow = None
    if store_it:
        draft = await workflows.create(
            store,
            name=name or document.name or "Imported from Dify",
            description=document.description,
            document=to_data(document),
        )
        workflow = draft.workflow
        log.info(
            "dify workflow imported",
            extra={"workflow_id": workflow.id, "nodes": len(document.nodes)},
        )
    return DifyImport(
        workflow=workflow,
        document=document,
        issues=validate(document),
        report=result.report,
        needs=result.needs,
    )


async def export(store: Store, workflow_id: str, version: int | None = None) -> str:
    """The draft (or a published version) as Dify DSL. Raises `DifyExportError` for a node
    whose settings are invalid."""
    return export_dify(await workflows.exported(store, workflow_id, version))


__all__ = [
    "DifyImport",
    "DifyImportError",
    "check_size",
    "export",
    "import_workflow",
    "preview",
]

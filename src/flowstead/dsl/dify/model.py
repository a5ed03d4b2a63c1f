"""What an import returns: the document, a report of what needs attention, the id map."""

from __future__ import annotations

from typing import Literal

import msgspec

from flowstead.dsl.document import Document

Severity = Literal["info", "warning", "error"]


class DifyImportError(ValueError):
    """The text is not a Dify app this importer can read; the message says why."""


class DifyExportError(ValueError):
    """The document cannot be written as Dify DSL; the message names the node."""


class ReportEntry(msgspec.Struct, frozen=True):
    """One finding: `info` says what was mapped or dropped, `warning` needs a look before
    the workflow runs as it did in Dify, `error` means something could not be carried over.
    `node_id` is the Flowstead id (None for the whole app or a node that was dropped)."""

    node_id: str | None
    severity: Severity
    message: str


class ImportResult(msgspec.Struct):
    document: Document
    report: list[ReportEntry] = []
    # Dify node id -> Flowstead node id, for every node that was kept.
    ids: dict[str, str] = {}

    def entries(self, severity: Severity) -> list[ReportEntry]:
        return [e for e in self.report if e.severity == severity]

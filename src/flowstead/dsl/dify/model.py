"""What an import returns: the document, a report of what needs attention, the id map."""

from __future__ import annotations

from typing import Literal

import msgspec

from flowstead.dsl.document import Document

Severity = Literal["info", "warning", "error"]
ImportErrorCode = Literal[
    "file_too_large",
    "invalid_yaml",
    "not_a_dify_app",
    "unsupported_kind",
    "unsupported_mode",
    "unsupported_version",
]


class DifyImportError(ValueError):
    """The text is not a Dify app this importer can read; the message says why and `code`
    says which check refused it."""

    def __init__(self, message: str, code: ImportErrorCode = "not_a_dify_app") -> None:
        super().__init__(message)
        self.code: ImportErrorCode = code


class DifyExportError(ValueError):
    """The document cannot be written as Dify DSL; the message names the node."""


class ReportEntry(msgspec.Struct, frozen=True):
    """One finding: `info` says what was mapped or dropped, `warning` needs a look before
    the workflow runs as it did in Dify, `error` means something could not be carried over.
    `node_id` is the Flowstead id (None for the whole app or a node that was dropped)."""

    node_id: str | None
    severity: Severity
    message: str


class Needs(msgspec.Struct, frozen=True):
    """What to set up here before the workflow runs as it did in Dify: the model providers
    to configure (each with the models the workflow names there), the Dify plugins and
    workspace tools Flowstead lacks, and the Dify knowledge bases (by id) to map."""

    providers: dict[str, list[str]] = {}
    plugins: list[str] = []
    knowledge_bases: list[str] = []


class ImportResult(msgspec.Struct):
    document: Document
    report: list[ReportEntry] = []
    needs: Needs = msgspec.field(default_factory=Needs)
    # Dify node id -> Flowstead node id, for every node that was kept.
    ids: dict[str, str] = {}

    def entries(self, severity: Severity) -> list[ReportEntry]:
        return [e for e in self.report if e.severity == severity]

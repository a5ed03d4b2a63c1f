"""Dify DSL import and export (versions 0.1.0 to 0.6.x, workflow and chatflow apps)."""

from __future__ import annotations

from flowstead.dsl.dify.exporter import export_dify
from flowstead.dsl.dify.importer import import_dify
from flowstead.dsl.dify.model import (
    DifyExportError,
    DifyImportError,
    ImportResult,
    ReportEntry,
    Severity,
)

__all__ = [
    "DifyExportError",
    "DifyImportError",
    "ImportResult",
    "ReportEntry",
    "Severity",
    "export_dify",
    "import_dify",
]

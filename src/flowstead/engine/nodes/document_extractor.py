"""Document extractor: text from files (txt, md, html, csv, json, pdf)."""

from __future__ import annotations

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class DocumentExtractorConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # A selector of a file or a list of files.
    variable: str = ""


SPEC = NodeSpec(
    type="document_extractor",
    label="Document extractor",
    config=DocumentExtractorConfig,
    run=not_implemented,
    outputs=lambda c: {"text": "any"},
    category="transform",
)

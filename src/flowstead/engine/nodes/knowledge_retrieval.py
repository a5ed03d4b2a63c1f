"""Knowledge retrieval: ranked chunks from knowledge bases for a query."""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class KnowledgeRetrievalConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # A selector of the query text.
    query: str = "sys.query"
    # Knowledge base names.
    knowledge_bases: list[str] = []
    top_k: int = 4
    score_threshold: float | None = None
    filters: dict[str, Any] = {}


SPEC = NodeSpec(
    type="knowledge_retrieval",
    label="Knowledge retrieval",
    config=KnowledgeRetrievalConfig,
    run=not_implemented,
    outputs=lambda c: {"result": "array[object]"},
    category="ai",
)

"""Knowledge retrieval: ranked chunks from knowledge bases for a query.

`result` is a list shaped like Dify's, so imported templates and LLM context settings keep
working: `{"content", "title", "metadata": {"score", "knowledge_base", "document", ...}}`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.ports import RetrievalMode, RetrievedChunk


class KnowledgeRetrievalConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # A selector of the query text.
    query: str = "sys.query"
    # Knowledge base names.
    knowledge_bases: list[str] = []
    top_k: int = 4
    score_threshold: float | None = None
    filters: dict[str, Any] = {}
    # hybrid: each knowledge base as it is set up; text or vector: that method alone.
    mode: RetrievalMode = "hybrid"


async def run(config: KnowledgeRetrievalConfig, ctx: NodeContext) -> NodeResult:
    if not config.knowledge_bases:
        return NodeResult.fail("no knowledge base is chosen: pick at least one in this node")
    try:
        query = ctx.resolve(config.query)
    except selectors.Missing as exc:
        return NodeResult.fail(f"the query: {exc}")
    inputs = {"query": query, "knowledge_bases": config.knowledge_bases}
    if not isinstance(query, str) or not query.strip():
        return NodeResult.fail(f"the query (`{config.query}`) is empty", inputs=inputs)
    try:
        chunks = await ctx.retriever.retrieve(
            config.knowledge_bases,
            query,
            top_k=config.top_k,
            score_threshold=config.score_threshold,
            filters=config.filters or None,
            mode=config.mode,
        )
    except Exception as exc:  # the Retriever port names no error type; any is this node's failure
        return NodeResult.fail(f"retrieval failed: {exc}", inputs=inputs)
    result = [_as_dify(chunk, position) for position, chunk in enumerate(chunks, start=1)]
    return NodeResult.ok({"result": result}, inputs=inputs)


def _as_dify(chunk: RetrievedChunk, position: int) -> dict[str, Any]:
    return {
        "content": chunk.content,
        "title": chunk.document,
        "metadata": {
            "_source": "knowledge",
            "position": position,
            "score": chunk.score,
            "knowledge_base": chunk.knowledge_base,
            "document": chunk.document,
            "chunk_id": chunk.chunk_id,
            # Dify's names for the same things, read by imported templates.
            "dataset_name": chunk.knowledge_base,
            "document_name": chunk.document,
            "segment_id": chunk.chunk_id,
            "doc_metadata": chunk.metadata,
        },
    }


SPEC: NodeSpec[KnowledgeRetrievalConfig] = NodeSpec(
    type="knowledge_retrieval",
    label="Knowledge retrieval",
    config=KnowledgeRetrievalConfig,
    run=run,
    outputs=lambda c: {"result": "array[object]"},
    category="ai",
)

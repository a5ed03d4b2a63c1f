from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import knowledge_retrieval as kr
from flowstead.engine.ports import RetrievalMode, RetrievedChunk

from .context import TestContext, make_node

CHUNKS = [
    RetrievedChunk("Sky is blue.", 0.91, "physics", "optics.md", "c1", {"lang": "en"}),
    RetrievedChunk("Rayleigh.", 0.72, "physics", "scatter.pdf", "c2"),
]


@dataclass
class FakeRetriever:
    chunks: list[RetrievedChunk] = field(default_factory=lambda: list(CHUNKS))
    error: Exception | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def retrieve(
        self,
        knowledge_bases: Sequence[str],
        query: str,
        *,
        top_k: int,
        score_threshold: float | None,
        filters: Mapping[str, Any] | None = None,
        mode: RetrievalMode = "hybrid",
    ) -> list[RetrievedChunk]:
        self.calls.append(
            {
                "knowledge_bases": list(knowledge_bases),
                "query": query,
                "top_k": top_k,
                "score_threshold": score_threshold,
                "filters": filters,
                "mode": mode,
            }
        )
        if self.error:
            raise self.error
        return self.chunks


async def retrieve(config: dict[str, Any], retriever: FakeRetriever, query: Any) -> NodeResult:
    ctx = TestContext(
        node=make_node("knowledge_retrieval", config),
        values={"sys": {"query": query}},
        retriever=retriever,
    )
    return await kr.run(msgspec.convert(config, kr.KnowledgeRetrievalConfig), ctx)


async def test_returns_chunks_shaped_like_dify() -> None:
    retriever = FakeRetriever()
    config = {
        "knowledge_bases": ["physics"],
        "top_k": 2,
        "score_threshold": 0.5,
        "filters": {"lang": "en"},
        "mode": "text",
    }
    result = await retrieve(config, retriever, "why is the sky blue?")

    assert result.status == "succeeded", result.error
    assert retriever.calls == [
        {
            "knowledge_bases": ["physics"],
            "query": "why is the sky blue?",
            "top_k": 2,
            "score_threshold": 0.5,
            "filters": {"lang": "en"},
            "mode": "text",
        }
    ]
    first, second = result.outputs["result"]
    assert first == {
        "content": "Sky is blue.",
        "title": "optics.md",
        "metadata": {
            "_source": "knowledge",
            "position": 1,
            "score": 0.91,
            "knowledge_base": "physics",
            "document": "optics.md",
            "chunk_id": "c1",
            "dataset_name": "physics",
            "document_name": "optics.md",
            "segment_id": "c1",
            "doc_metadata": {"lang": "en"},
        },
    }
    assert (second["metadata"]["position"], second["metadata"]["score"]) == (2, 0.72)
    assert result.inputs == {"query": "why is the sky blue?", "knowledge_bases": ["physics"]}


async def test_no_filters_are_passed_as_none_and_no_hits_as_an_empty_list() -> None:
    retriever = FakeRetriever(chunks=[])
    result = await retrieve({"knowledge_bases": ["a", "b"]}, retriever, "q")
    assert result.outputs == {"result": []}
    assert retriever.calls[0]["filters"] is None
    assert retriever.calls[0]["score_threshold"] is None
    assert retriever.calls[0]["mode"] == "hybrid"


def test_an_unknown_mode_is_a_config_error() -> None:
    with pytest.raises(msgspec.ValidationError, match="mode"):
        msgspec.convert({"mode": "semantic"}, kr.KnowledgeRetrievalConfig)


@pytest.mark.parametrize("query", ["", "   ", None, 3])
async def test_an_empty_query_fails_without_retrieving(query: Any) -> None:
    retriever = FakeRetriever()
    result = await retrieve({"knowledge_bases": ["physics"]}, retriever, query)
    assert result.error == "the query (`sys.query`) is empty"
    assert retriever.calls == []


async def test_a_missing_query_fails() -> None:
    result = await retrieve(
        {"knowledge_bases": ["physics"], "query": "start.q"}, FakeRetriever(), "x"
    )
    assert result.error == "the query: no value at `start.q`"


async def test_no_knowledge_base_fails_with_a_clear_message() -> None:
    retriever = FakeRetriever()
    result = await retrieve({}, retriever, "q")
    assert result.error == "no knowledge base is chosen: pick at least one in this node"
    assert retriever.calls == []


async def test_a_retriever_error_fails_the_node() -> None:
    retriever = FakeRetriever(error=LookupError("no knowledge base named 'physics'"))
    result = await retrieve({"knowledge_bases": ["physics"]}, retriever, "q")
    assert result.error == "retrieval failed: no knowledge base named 'physics'"

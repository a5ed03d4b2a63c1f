"""Retrieval quality on the labelled stdlib set, the same on both stores.

A part of the set keeps this quick; `bench/bench_knowledge.py` reports the whole set. The
floors sit a little under what was measured, so a regression shows without flakiness
(everything here is deterministic)."""

from __future__ import annotations

from typing import Any

from flowstead.knowledge.files import DocumentFiles
from flowstead.knowledge.ingest import Ingestor
from flowstead.knowledge.retrieval import KnowledgeRetriever, Mode
from flowstead.store import Store
from tests.integration.knowledge.conftest import add_file
from tests.integration.knowledge.labelled import is_answer, subset

DOCUMENTS = 8
# Measured on these 50 queries: SQLite text 0.66, SurrealDB text 0.74 (its own BM25 and
# stemmer), vectors 0.40 and hybrid 0.52 to 0.56 on both.
FLOORS: dict[Mode, float] = {"text": 0.6, "vector": 0.35, "hybrid": 0.47}


async def recall_at_5(
    retriever: KnowledgeRetriever, store: Store, kb_name: str, data: dict[str, Any], mode: Mode
) -> float:
    [kb] = await retriever.resolve([kb_name])
    hits = 0
    for query in data["queries"]:
        found = await retriever.search([kb], query["query"], top_k=5, mode=mode)
        hits += any(is_answer(query, f.document, f.chunk.metadata) for f in found)
    return hits / len(data["queries"])


async def test_recall_at_5_per_method(
    store: Store, files: DocumentFiles, ingestor: Ingestor, retriever: KnowledgeRetriever
) -> None:
    data = subset(DOCUMENTS)
    kb = await store.knowledge_bases.create(name="stdlib")
    for document in data["documents"]:
        added = await add_file(store, files, kb, document["name"], document["text"].encode())
        assert (await ingestor.ingest(added.id)).status == "ready"

    recall = {mode: await recall_at_5(retriever, store, "stdlib", data, mode) for mode in FLOORS}

    for mode, floor in FLOORS.items():
        assert recall[mode] >= floor, recall

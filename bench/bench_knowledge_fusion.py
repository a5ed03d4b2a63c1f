"""How to fuse full-text and vector rankings: recall@5 of candidate fusions on the labelled
stdlib set, chosen on its tuning half and checked on its held-out half.

Each half (and the whole set, for reference) is ingested as a knowledge base of its own on
both stores with the built-in model; every query's full-text and vector rankings are taken
once, through the store, at the depth the retriever uses, and each fusion re-ranks them:

- weighted reciprocal rank fusion (the retriever's own function), vectors' share 0.01…0.5;
- convex combinations of scores normalised per query: min-max, or z-score, with the text
  and vector scores weighted 1 - a and a (a chunk missing from a list gets its lowest);
- reciprocal rank fusion over the full-text candidates only, vectors re-ranking them.

Rule: among the fusions, the best on the tuning half (mean over both stores) that is not
below full-text on the held-out half (ties: the one listed first); held-out figures only
veto, they never rank. The retriever's default hybrid search is measured too, end to end,
to show that it is the fusion chosen.

    python bench/bench_knowledge_fusion.py        (from the repository root or bench/)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.integration.knowledge.labelled import is_answer  # noqa: E402

from flowstead.knowledge.embedding import BUILTIN_MODEL  # noqa: E402
from flowstead.knowledge.fusion import K, reciprocal_rank_fusion  # noqa: E402
from flowstead.knowledge.retrieval import (  # noqa: E402
    BUILTIN_VECTOR_WEIGHT,
    MIN_DEPTH,
    KnowledgeRetriever,
)
from flowstead.knowledge.terms import query_terms  # noqa: E402
from labelled_base import BACKENDS, labelled_base  # noqa: E402
from machine import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "knowledge_fusion.json"
PARTS = ("tuning", "held-out", "all")
TOP_K = 5

# A query's rankings: (chunk id, raw score, whether it answers the query), best first.
Hit = tuple[str, float, bool]
Ranked = dict[str, list[Hit]]
Ranker = Callable[[Ranked], list[tuple[str, bool]]]


async def rankings(backend: str, part: str) -> tuple[list[Ranked], float]:
    """Each query's text and vector rankings, and the default hybrid search's recall@5."""
    async with labelled_base(backend, part) as base:
        store, kb, data = base.store, base.kb, base.data
        embedder = base.embedder_for(kb)
        assert embedder is not None, "the built-in model is not installed"
        retriever = KnowledgeRetriever(store, base.embedder_for)
        depth = max(4 * TOP_K, MIN_DEPTH)
        found: list[Ranked] = []
        hybrid_hits = 0
        for query in data["queries"]:

            def hit(chunk: Any, score: float, query: dict[str, Any] = query) -> Hit:
                document = str(chunk.metadata.get("document", chunk.document_id))
                return (chunk.id, score, is_answer(query, document, chunk.metadata))

            text = await store.chunks.search_text([kb.id], query_terms(query["query"]), limit=depth)
            [embedding] = await embedder.embed([query["query"]])
            vector = await store.chunks.search_vector([kb.id], embedding, limit=depth)
            found.append(
                {
                    "text": [hit(h.chunk, h.score) for h in text],
                    "vector": [hit(h.chunk, h.score) for h in vector],
                }
            )
            hybrid = await retriever.search([kb], query["query"], top_k=TOP_K)
            hybrid_hits += any(is_answer(query, f.document, f.chunk.metadata) for f in hybrid)
    return found, hybrid_hits / len(data["queries"])


def _ordered(scores: dict[str, float], ranked: Ranked) -> list[tuple[str, bool]]:
    """Best first; ties as the retriever breaks them (full-text rank, vector rank, id)."""
    answers = {chunk: answer for hits in ranked.values() for chunk, _, answer in hits}
    last = 1 << 30
    ranks = {
        method: {chunk: rank for rank, (chunk, _, _) in enumerate(hits, 1)}
        for method, hits in ranked.items()
    }

    def key(chunk: str) -> tuple[float, int, int, str]:
        text, vector = ranks["text"].get(chunk, last), ranks["vector"].get(chunk, last)
        return (-scores[chunk], text, vector, chunk)

    return [(c, answers[c]) for c in sorted(scores, key=key)]


def alone(method: str) -> Ranker:
    return lambda ranked: [(chunk, answer) for chunk, _, answer in ranked[method]]


def weighted_rrf(share: float) -> Ranker:
    def rank(ranked: Ranked) -> list[tuple[str, bool]]:
        fused = reciprocal_rank_fusion(
            [
                ([c for c, _, _ in ranked["text"]], lambda c: 1.0 - share),
                ([c for c, _, _ in ranked["vector"]], lambda c: share),
            ]
        )
        return _ordered(fused, ranked)

    return rank


def _normalised(hits: list[Hit], how: str) -> dict[str, float]:
    scores = [score for _, score, _ in hits]
    if not scores:
        return {}
    if how == "min-max":
        low, high = min(scores), max(scores)
        return {c: (s - low) / (high - low) if high > low else 1.0 for c, s, _ in hits}
    mean, spread = statistics.fmean(scores), statistics.pstdev(scores) or 1.0
    return {c: (s - mean) / spread for c, s, _ in hits}


def convex(how: str, share: float) -> Ranker:
    def rank(ranked: Ranked) -> list[tuple[str, bool]]:
        text = _normalised(ranked["text"], how)
        vector = _normalised(ranked["vector"], how)
        text_floor = min(text.values(), default=0.0)
        vector_floor = min(vector.values(), default=0.0)
        fused = {
            c: (1 - share) * text.get(c, text_floor) + share * vector.get(c, vector_floor)
            for c in text.keys() | vector.keys()
        }
        return _ordered(fused, ranked)

    return rank


def rerank(share: float) -> Ranker:
    def rank(ranked: Ranked) -> list[tuple[str, bool]]:
        if not ranked["text"]:
            return alone("vector")(ranked)
        candidates = {c for c, _, _ in ranked["text"]}
        fused = reciprocal_rank_fusion(
            [
                ([c for c, _, _ in ranked["text"]], lambda c: 1.0 - share),
                ([c for c, _, _ in ranked["vector"] if c in candidates], lambda c: share),
            ]
        )
        return _ordered(fused, ranked)

    return rank


def candidates() -> dict[str, Ranker]:
    found = {"text": alone("text"), "vector": alone("vector")}
    for share in (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5):
        found[f"rrf k={K} vector share {share}"] = weighted_rrf(share)
    for how in ("min-max", "z-score"):
        for share in (0.05, 0.1, 0.2, 0.3, 0.5):
            found[f"convex {how} vector share {share}"] = convex(how, share)
    for share in (0.05, 0.1, 0.2, 0.3, 0.5):
        found[f"text candidates re-ranked, vector share {share}"] = rerank(share)
    return found


def recall(queries: list[Ranked], ranker: Ranker) -> float:
    hits = sum(any(answer for _, answer in ranker(ranked)[:TOP_K]) for ranked in queries)
    return round(hits / len(queries), 3)


async def main() -> None:
    warnings.simplefilter("ignore")
    collected: dict[str, dict[str, list[Ranked]]] = {}
    default: dict[str, dict[str, float]] = {}
    for backend in BACKENDS:
        collected[backend], default[backend] = {}, {}
        for part in PARTS:
            queries, hybrid = await rankings(backend, part)
            collected[backend][part], default[backend][part] = queries, round(hybrid, 3)
            print(f"{backend} {part}: {len(queries)} queries, default hybrid {hybrid:.3f}")
    table = {
        name: {
            backend: {part: recall(collected[backend][part], ranker) for part in PARTS}
            for backend in BACKENDS
        }
        for name, ranker in candidates().items()
    }

    def mean(name: str, part: str) -> float:
        return statistics.fmean(table[name][backend][part] for backend in BACKENDS)

    # Sorting is stable: among fusions equal on the tuning half, the one listed first.
    ranked = sorted(table, key=lambda name: -mean(name, "tuning"))
    fusions = [name for name in ranked if name not in ("text", "vector")]
    best = fusions[0]
    not_below_text = [
        name
        for name in fusions
        if all(table[name][b]["held-out"] >= table["text"][b]["held-out"] for b in BACKENDS)
    ]
    for name in ranked:
        row = "  ".join(f"{table[name][b][p]:.3f}" for b in BACKENDS for p in PARTS)
        print(f"{name:48s} {row}")
    results = {
        "machine": machine(),
        "embedding_model": {"name": BUILTIN_MODEL, "dimensions": 64},
        "labelled_set": {part: {"queries": len(collected["sqlite"][part])} for part in PARTS},
        "top_k": TOP_K,
        "rule": "the fusion with the best mean recall@5 on the tuning half that is not below"
        " full-text on the held-out half on either store (ties: the one listed first)",
        "best_on_tuning": best,
        "chosen": not_below_text[0] if not_below_text else None,
        "default_hybrid": {"vector_share": BUILTIN_VECTOR_WEIGHT, "recall_at_5": default},
        "recall_at_5": table,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"best on tuning: {best}; chosen: {results['chosen']}; wrote {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())

"""Hybrid retrieval: full-text and vector search over knowledge bases, fused by rank.

Implements the engine's `Retriever` port (knowledge bases named, as workflows refer to
them) and offers the detailed search the query endpoint shows: each chunk's fused score
with its rank and score in each method.

Each knowledge base says how it is searched (`KnowledgeBase.retrieval`): both methods
fused, or one alone, and the vectors' share of a fused vote. A search in another mode than
hybrid uses that method alone on every knowledge base.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import msgspec

from flowstead.engine.ports import RetrievedChunk
from flowstead.knowledge.embedding import Embedder, EmbedderFor, model_key
from flowstead.knowledge.filters import metadata_filters
from flowstead.knowledge.fusion import reciprocal_rank_fusion
from flowstead.knowledge.terms import query_terms
from flowstead.store.protocol import MetadataFilters, Store
from flowstead.store.records import Chunk, ChunkHit, KnowledgeBase, RetrievalMode

Mode = RetrievalMode
# Each method ranks this many candidates (at least) before fusion.
MIN_DEPTH = 40
# The vectors' share of a hybrid search's vote when a knowledge base does not set one.
# The built-in 64-dimension model's vectors, given any share that changes the first five
# results, help about as many queries of the labelled set as they hurt (README, "Retrieval
# quality"): at 0.01 they keep the full-text order and fill in when it finds too few.
BUILTIN_VECTOR_WEIGHT = 0.01
PROVIDER_VECTOR_WEIGHT = 0.5


class UnknownKnowledgeBase(LookupError):
    """A workflow names a knowledge base that does not exist."""


class Found(msgspec.Struct, frozen=True, kw_only=True):
    """A retrieved chunk: `score` is the fused one (0…1); each method's rank (from 1) and
    raw score are there when that method found it (BM25 for text, cosine for vectors)."""

    chunk: Chunk
    knowledge_base: str
    document: str
    score: float
    text_rank: int | None = None
    text_score: float | None = None
    vector_rank: int | None = None
    vector_score: float | None = None


class KnowledgeRetriever:
    def __init__(self, store: Store, embedder_for: EmbedderFor) -> None:
        self._store = store
        self._embedder_for = embedder_for

    async def retrieve(
        self,
        knowledge_bases: Sequence[str],
        query: str,
        *,
        top_k: int,
        score_threshold: float | None,
        filters: Mapping[str, Any] | None = None,
        mode: Mode = "hybrid",
    ) -> list[RetrievedChunk]:
        found = await self.search(
            await self.resolve(knowledge_bases),
            query,
            top_k=top_k,
            score_threshold=score_threshold,
            filters=metadata_filters(filters),
            mode=mode,
        )
        return [
            RetrievedChunk(
                content=f.chunk.content,
                score=f.score,
                knowledge_base=f.knowledge_base,
                document=f.document,
                chunk_id=f.chunk.id,
                metadata=f.chunk.metadata,
            )
            for f in found
        ]

    async def resolve(self, names: Sequence[str]) -> list[KnowledgeBase]:
        """The knowledge bases of these names; raises `UnknownKnowledgeBase`."""
        found = []
        for name in dict.fromkeys(names):
            kb = await self._store.knowledge_bases.get_by_name(name)
            if kb is None:
                raise UnknownKnowledgeBase(
                    f"there is no knowledge base named {name!r} (a workflow imported from"
                    " Dify names its datasets by id: pick a knowledge base in the node)"
                )
            found.append(kb)
        return found

    async def search(
        self,
        kbs: Sequence[KnowledgeBase],
        query: str,
        *,
        top_k: int,
        score_threshold: float | None = None,
        filters: MetadataFilters | None = None,
        mode: Mode = "hybrid",
    ) -> list[Found]:
        """The `top_k` best chunks of these knowledge bases with a fused score of at
        least `score_threshold`; `hybrid` searches each knowledge base as it is set up."""
        if not kbs or top_k <= 0 or not query.strip():
            return []
        depth = max(4 * top_k, MIN_DEPTH)
        weights: dict[str, _Weights] = {}
        # Knowledge bases embedding alike share one query vector and one vector search.
        groups: dict[tuple[str | None, str], tuple[Embedder, list[KnowledgeBase]]] = {}
        for kb in kbs:
            embedder = self._embedder_for(kb)
            weights[kb.id] = _weights(kb, mode, embedder is not None)
            if embedder is not None and weights[kb.id].vector is not None:
                groups.setdefault(model_key(kb), (embedder, []))[1].append(kb)
        text_kbs = [kb.id for kb in kbs if weights[kb.id].text is not None]
        searches = []
        if text_kbs:
            terms = query_terms(query)
            searches.append(
                self._store.chunks.search_text(text_kbs, terms, limit=depth, filters=filters)
            )
        for embedder, group in groups.values():
            searches.append(self._vector(embedder, group, query, depth, filters))
        rankings = await asyncio.gather(*searches)
        text = rankings[0] if text_kbs else []
        vectors = rankings[1:] if text_kbs else rankings
        ranked = _fuse(kbs, weights, text, vectors)
        kept = [f for f in ranked if score_threshold is None or f.score >= score_threshold]
        return kept[:top_k]

    async def _vector(
        self,
        embedder: Embedder,
        kbs: Sequence[KnowledgeBase],
        query: str,
        depth: int,
        filters: MetadataFilters | None,
    ) -> list[ChunkHit]:
        [embedding] = await embedder.embed([query])
        return await self._store.chunks.search_vector(
            [kb.id for kb in kbs], embedding, limit=depth, filters=filters
        )


class _Weights(NamedTuple):
    """A knowledge base's weight for each method; None: that method is not searched."""

    text: float | None
    vector: float | None


def vector_weight(kb: KnowledgeBase) -> float:
    """The vectors' share of a hybrid search of this knowledge base (0…1)."""
    if kb.retrieval.vector_weight is not None:
        return kb.retrieval.vector_weight
    return BUILTIN_VECTOR_WEIGHT if kb.embedding_provider is None else PROVIDER_VECTOR_WEIGHT


def _weights(kb: KnowledgeBase, mode: Mode, has_vectors: bool) -> _Weights:
    """How a search in `mode` treats this knowledge base (without an embedder: full-text)."""
    method = kb.retrieval.mode if mode == "hybrid" else mode
    if method == "text" or (method == "hybrid" and not has_vectors):
        return _Weights(1.0, None)
    if method == "vector":
        return _Weights(None, 1.0 if has_vectors else None)
    share = vector_weight(kb)
    return _Weights(1.0 - share, share)


def _fuse(
    kbs: Sequence[KnowledgeBase],
    weights: Mapping[str, _Weights],
    text: Sequence[ChunkHit],
    vectors: Sequence[Sequence[ChunkHit]],
) -> list[Found]:
    chunks = {hit.chunk.id: hit.chunk for hits in (text, *vectors) for hit in hits}

    def by_text(chunk_id: str) -> float:
        return weights[chunks[chunk_id].kb_id].text or 0.0

    def by_vector(chunk_id: str) -> float:
        return weights[chunks[chunk_id].kb_id].vector or 0.0

    fused = reciprocal_rank_fusion(
        [
            ([hit.chunk.id for hit in text], by_text),
            *(([hit.chunk.id for hit in hits], by_vector) for hits in vectors),
        ]
    )
    text_hits = {hit.chunk.id: (rank, hit.score) for rank, hit in enumerate(text, 1)}
    vector_hits = {
        hit.chunk.id: (rank, hit.score) for hits in vectors for rank, hit in enumerate(hits, 1)
    }
    names = {kb.id: kb.name for kb in kbs}
    found = []
    for chunk_id, score in fused.items():
        chunk = chunks[chunk_id]
        text_rank, text_score = text_hits.get(chunk_id, (None, None))
        vector_rank, vector_score = vector_hits.get(chunk_id, (None, None))
        found.append(
            Found(
                chunk=chunk,
                knowledge_base=names.get(chunk.kb_id, chunk.kb_id),
                document=str(chunk.metadata.get("document", chunk.document_id)),
                score=score,
                text_rank=text_rank,
                text_score=text_score,
                vector_rank=vector_rank,
                vector_score=vector_score,
            )
        )
    found.sort(key=_order)
    return found


def _order(found: Found) -> tuple[float, int, int, str]:
    """Best score first; a tie (ranks swapped between the methods at even weights) goes
    to the better full-text rank, then the better vector rank, then the chunk id."""
    last = 1 << 30
    return (-found.score, found.text_rank or last, found.vector_rank or last, found.chunk.id)

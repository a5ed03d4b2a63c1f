"""Hybrid retrieval: full-text and vector search over knowledge bases, fused by rank.

Implements the engine's `Retriever` port (knowledge bases named, as workflows refer to
them) and offers the detailed search the query endpoint shows: each chunk's fused score
with its rank and score in each method.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

from flowstead.engine.ports import RetrievedChunk
from flowstead.knowledge.embedding import Embedder, EmbedderFor, model_key
from flowstead.knowledge.filters import metadata_filters
from flowstead.knowledge.fusion import reciprocal_rank_fusion
from flowstead.knowledge.terms import query_terms
from flowstead.store.protocol import MetadataFilters, Store
from flowstead.store.records import Chunk, ChunkHit, KnowledgeBase

Mode = Literal["hybrid", "text", "vector"]
# Each method ranks this many candidates (at least) before fusion.
MIN_DEPTH = 40


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
    ) -> list[RetrievedChunk]:
        found = await self.search(
            await self.resolve(knowledge_bases),
            query,
            top_k=top_k,
            score_threshold=score_threshold,
            filters=metadata_filters(filters),
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
        least `score_threshold`."""
        if not kbs or top_k <= 0 or not query.strip():
            return []
        depth = max(4 * top_k, MIN_DEPTH)
        searches = []
        vector_searches = []
        if mode != "vector":
            terms = query_terms(query)
            searches.append(
                self._store.chunks.search_text(
                    [kb.id for kb in kbs], terms, limit=depth, filters=filters
                )
            )
        if mode != "text":
            groups: dict[tuple[str | None, str], list[KnowledgeBase]] = {}
            for kb in kbs:
                groups.setdefault(model_key(kb), []).append(kb)
            for group in groups.values():
                embedder = self._embedder_for(group[0])
                if embedder is not None:  # else this group is searched full-text only
                    vector_searches.append(self._vector(embedder, group, query, depth, filters))
        rankings = await asyncio.gather(*searches, *vector_searches)
        text = rankings[0] if searches else []
        vectors = rankings[len(searches) :]
        methods = len(searches) + bool(vector_searches)
        ranked = _fuse(kbs, text, vectors, lists_per_chunk=max(methods, 1))
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


def _fuse(
    kbs: Sequence[KnowledgeBase],
    text: Sequence[ChunkHit],
    vectors: Sequence[Sequence[ChunkHit]],
    *,
    lists_per_chunk: int,
) -> list[Found]:
    chunks = {hit.chunk.id: hit.chunk for hits in (text, *vectors) for hit in hits}
    fused = reciprocal_rank_fusion(
        [[hit.chunk.id for hit in hits] for hits in (text, *vectors)],
        lists_per_item=lists_per_chunk,
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
    found.sort(key=lambda f: (-f.score, f.chunk.id))
    return found

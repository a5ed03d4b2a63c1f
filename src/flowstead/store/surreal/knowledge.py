"""Knowledge bases, their documents and chunks in SurrealDB, with BM25 and HNSW search."""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from flowstead.store import fresh
from flowstead.store.codec import dumps, to_record
from flowstead.store.errors import Conflict, NotFound
from flowstead.store.ids import new_id
from flowstead.store.protocol import MetadataFilters
from flowstead.store.records import (
    Chunk,
    ChunkHit,
    KnowledgeBase,
    KnowledgeDocument,
    NewChunk,
    RetrievalSettings,
)
from flowstead.store.surreal.database import SurrealDatabase, plain, rid

_VECTOR_PREFIX = "vec_"
_HIT_FIELDS = "id, kb_id, document_id, position, content, metadata"
# HNSW candidates examined per search: more finds the true nearest more often.
_MIN_EF = 100

_DELETE_KB = """
DELETE chunk WHERE kb_id = $key;
DELETE kb_document WHERE kb_id = $key;
LET $gone = (DELETE $id RETURN BEFORE);
RETURN array::len($gone) > 0;
"""

_ADD_DOCUMENT = """
IF !record::exists(type::thing('knowledge_base', $content.kb_id)) {
    THROW 'not_found:knowledge_base:' + $content.kb_id;
};
CREATE $id CONTENT $content RETURN NONE;
RETURN NONE;
"""

_DELETE_DOCUMENT = """
DELETE chunk WHERE document_id = $key;
LET $gone = (DELETE $id RETURN BEFORE);
RETURN array::len($gone) > 0;
"""

# `{vector}` is the chunks' vector field, `vec_<dimensions>`.
_ADD_CHUNKS = """
LET $kb = (SELECT VALUE kb_id FROM ONLY $document);
IF !$kb {{ THROW 'not_found:document:' + $key }};
IF $replace {{ DELETE chunk WHERE document_id = $key }};
FOR $chunk IN $chunks {{
    CREATE type::thing('chunk', $chunk.id) CONTENT {{
        kb_id: $kb, document_id: $key, position: $chunk.position, content: $chunk.content,
        metadata: $chunk.metadata, filter: $chunk.filter, {vector}: $chunk.embedding,
    }} RETURN NONE;
}};
RETURN $kb;
"""


def _document(row: dict[str, Any]) -> KnowledgeDocument:
    return to_record(KnowledgeDocument, plain(row), ("metadata",))


def _chunk(row: dict[str, Any]) -> Chunk:
    data = plain(row)
    for key in [k for k in data if k.startswith(_VECTOR_PREFIX)]:
        data["embedding"] = data.pop(key)
    return to_record(Chunk, data, ("metadata",))


def _scalars(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata entries a filter can match (None would be stored as NONE, so left out)."""
    return {k: v for k, v in metadata.items() if isinstance(v, str | int | float | bool)}


def _where_filters(filters: MetadataFilters | None) -> tuple[str, dict[str, Any]]:
    """` AND …` clauses matching chunk metadata, and their params."""
    sql, params = "", dict[str, Any]()
    for n, (key, values) in enumerate((filters or {}).items()):
        sql += f" AND filter[$filter_key_{n}] IN $filter_values_{n}"
        params |= {f"filter_key_{n}": key, f"filter_values_{n}": list(values)}
    return sql, params


def _dimensions(chunks: Sequence[NewChunk]) -> int | None:
    """The one dimension count of the chunks' embeddings (None when they have none)."""
    found = {len(c.embedding) for c in chunks if c.embedding is not None}
    if len(found) > 1:
        raise ValueError(f"chunks added together must have one embedding size, not {found}")
    return found.pop() if found else None


class SurrealKnowledgeBases:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def create(
        self,
        *,
        name: str,
        description: str = "",
        embedding_provider: str | None = None,
        embedding_model: str | None = None,
        chunk_size: int = 512,
        chunk_overlap: int = 64,
        separators: Sequence[str] = (),
        retrieval: RetrievalSettings | None = None,
    ) -> KnowledgeBase:
        kb = fresh.knowledge_base(
            name=name,
            description=description,
            embedding_provider=embedding_provider,
            embedding_model=embedding_model,
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            separators=separators,
            retrieval=retrieval,
        )
        content = msgspec.to_builtins(kb)
        del content["id"]
        try:
            await self._db.write(
                "CREATE $id CONTENT $content RETURN NONE",
                {"id": rid("knowledge_base", kb.id), "content": content},
            )
        except Conflict as exc:
            raise Conflict(f"a knowledge base named {name!r} already exists") from exc
        return kb

    async def get(self, kb_id: str) -> KnowledgeBase | None:
        rows = await self._db.select("SELECT * FROM $id", {"id": rid("knowledge_base", kb_id)})
        return to_record(KnowledgeBase, plain(rows[0])) if rows else None

    async def get_by_name(self, name: str) -> KnowledgeBase | None:
        rows = await self._db.select(
            "SELECT * FROM knowledge_base WHERE name = $name", {"name": name}
        )
        return to_record(KnowledgeBase, plain(rows[0])) if rows else None

    async def list(self) -> builtins.list[KnowledgeBase]:
        rows = await self._db.select("SELECT * FROM knowledge_base ORDER BY name")
        return [to_record(KnowledgeBase, plain(row)) for row in rows]

    async def update(
        self,
        kb_id: str,
        *,
        name: str,
        description: str,
        embedding_provider: str | None,
        embedding_model: str | None,
        chunk_size: int,
        chunk_overlap: int,
        separators: Sequence[str],
        retrieval: RetrievalSettings,
    ) -> KnowledgeBase:
        try:
            rows = await self._db.write_rows(
                "UPDATE $id SET name = $name, description = $description,"
                " embedding_provider = $provider, embedding_model = $model,"
                " chunk_size = $size, chunk_overlap = $overlap, separators = $separators,"
                " retrieval = $retrieval, updated_at = $now RETURN AFTER",
                {
                    "id": rid("knowledge_base", kb_id),
                    "name": name,
                    "description": description,
                    "provider": embedding_provider,
                    "model": embedding_model,
                    "size": chunk_size,
                    "overlap": chunk_overlap,
                    "separators": list(separators),
                    "retrieval": msgspec.to_builtins(retrieval),
                    "now": time.time(),
                },
            )
        except Conflict as exc:
            raise Conflict(f"a knowledge base named {name!r} already exists") from exc
        if not rows:
            raise NotFound("knowledge base", kb_id)
        return to_record(KnowledgeBase, plain(rows[0]))

    async def delete(self, kb_id: str) -> bool:
        return bool(
            await self._db.transaction(
                _DELETE_KB, {"id": rid("knowledge_base", kb_id), "key": kb_id}
            )
        )


class SurrealDocuments:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def add(
        self,
        *,
        kb_id: str,
        name: str,
        source: str = "",
        content_type: str = "",
        size: int = 0,
        metadata: dict[str, Any] | None = None,
    ) -> KnowledgeDocument:
        document = fresh.document(
            kb_id=kb_id,
            name=name,
            source=source,
            content_type=content_type,
            size=size,
            metadata=metadata,
        )
        content = {
            field: getattr(document, field) for field in document.__struct_fields__ if field != "id"
        }
        await self._db.transaction(
            _ADD_DOCUMENT,
            {
                "id": rid("kb_document", document.id),
                "content": {**content, "metadata": dumps(document.metadata)},
            },
        )
        return document

    async def get(self, document_id: str) -> KnowledgeDocument | None:
        rows = await self._db.select("SELECT * FROM $id", {"id": rid("kb_document", document_id)})
        return _document(rows[0]) if rows else None

    async def list(self, kb_id: str) -> builtins.list[KnowledgeDocument]:
        rows = await self._db.select(
            "SELECT * FROM kb_document WHERE kb_id = $kb ORDER BY created_at, id",
            {"kb": kb_id},
        )
        return [_document(row) for row in rows]

    async def set_file(
        self, document_id: str, *, size: int, content_type: str
    ) -> KnowledgeDocument:
        rows = await self._db.write_rows(
            "UPDATE $id SET size = $size, content_type = $content_type, updated_at = $now"
            " RETURN AFTER",
            {
                "id": rid("kb_document", document_id),
                "size": size,
                "content_type": content_type,
                "now": time.time(),
            },
        )
        if not rows:
            raise NotFound("document", document_id)
        return _document(rows[0])

    async def set_status(
        self,
        document_id: str,
        status: str,
        *,
        error: str | None = None,
        progress: float | None = None,
        chunk_count: int | None = None,
    ) -> KnowledgeDocument:
        rows = await self._db.write_rows(
            "UPDATE $id SET status = $status, error = $error,"
            " progress = $progress ?? progress, chunk_count = $chunk_count ?? chunk_count,"
            " updated_at = $now RETURN AFTER",
            {
                "id": rid("kb_document", document_id),
                "status": status,
                "error": error,
                "progress": progress,
                "chunk_count": chunk_count,
                "now": time.time(),
            },
        )
        if not rows:
            raise NotFound("document", document_id)
        return _document(rows[0])

    async def delete(self, document_id: str) -> bool:
        return bool(
            await self._db.transaction(
                _DELETE_DOCUMENT, {"id": rid("kb_document", document_id), "key": document_id}
            )
        )


class SurrealChunks:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db
        self._indexed: set[int] = set()

    async def add_many(self, document_id: str, chunks: Sequence[NewChunk]) -> builtins.list[Chunk]:
        return await self._insert(document_id, chunks, replace=False)

    async def replace(self, document_id: str, chunks: Sequence[NewChunk]) -> builtins.list[Chunk]:
        return await self._insert(document_id, chunks, replace=True)

    async def list(
        self, document_id: str, *, limit: int = 1000, offset: int = 0
    ) -> builtins.list[Chunk]:
        rows = await self._db.select(
            "SELECT * FROM chunk WHERE document_id = $document"
            " ORDER BY position LIMIT $limit START $offset",
            {"document": document_id, "limit": limit, "offset": offset},
        )
        return [_chunk(row) for row in rows]

    async def search_text(
        self,
        kb_ids: Sequence[str],
        terms: Sequence[str],
        *,
        limit: int,
        filters: MetadataFilters | None = None,
    ) -> builtins.list[ChunkHit]:
        if not kb_ids or not terms:
            return []
        # `@@` wants every word of its query, so each term gets a match of its own (OR),
        # and a chunk's score is the sum of its terms' BM25 scores.
        matches = " OR ".join(f"content @{n}@ $term_{n}" for n in range(len(terms)))
        score = " + ".join(f"(search::score({n}) ?? 0)" for n in range(len(terms)))
        where, params = _where_filters(filters)
        rows = await self._db.select(
            f"SELECT * FROM (SELECT {_HIT_FIELDS}, filter, {score} AS score FROM chunk"
            f" WHERE {matches}) WHERE kb_id IN $kbs{where} ORDER BY score DESC LIMIT $limit",
            {
                "kbs": list(kb_ids),
                "limit": limit,
                **{f"term_{n}": term for n, term in enumerate(terms)},
                **params,
            },
        )
        return [ChunkHit(chunk=_chunk(row), score=row["score"]) for row in rows]

    async def search_vector(
        self,
        kb_ids: Sequence[str],
        embedding: Sequence[float],
        *,
        limit: int,
        filters: MetadataFilters | None = None,
    ) -> builtins.list[ChunkHit]:
        if not kb_ids or limit <= 0 or not embedding:
            return []
        where, params = _where_filters(filters)
        # KNN over an HNSW index needs the `<|k,ef|>` form, with literal numbers. A field
        # without an index (no chunk of this size yet) finds nothing.
        knn = f"{_VECTOR_PREFIX}{len(embedding)} <|{int(limit)},{max(_MIN_EF, 2 * limit)}|> $vector"
        rows = await self._db.select(
            f"SELECT {_HIT_FIELDS}, vector::distance::knn() AS distance FROM chunk"
            f" WHERE kb_id IN $kbs{where} AND {knn} ORDER BY distance",
            {"kbs": list(kb_ids), "vector": list(embedding), **params},
        )
        return [ChunkHit(chunk=_chunk(row), score=1.0 - row["distance"]) for row in rows]

    async def _insert(
        self, document_id: str, chunks: Sequence[NewChunk], *, replace: bool
    ) -> builtins.list[Chunk]:
        dimensions = _dimensions(chunks)
        if dimensions is not None:
            await self._index(dimensions)
        ids = [new_id() for _ in chunks]
        kb_id = await self._db.transaction(
            _ADD_CHUNKS.format(vector=f"{_VECTOR_PREFIX}{dimensions or 0}"),
            {
                "document": rid("kb_document", document_id),
                "key": document_id,
                "replace": replace,
                "chunks": [
                    {
                        "id": chunk_id,
                        "position": chunk.position,
                        "content": chunk.content,
                        "metadata": dumps(chunk.metadata),
                        "filter": _scalars(chunk.metadata),
                        "embedding": chunk.embedding,
                    }
                    for chunk_id, chunk in zip(ids, chunks, strict=True)
                ],
            },
        )
        return [
            fresh.chunk(chunk_id, chunk, kb_id=kb_id, document_id=document_id)
            for chunk_id, chunk in zip(ids, chunks, strict=True)
        ]

    async def _index(self, dimensions: int) -> None:
        """Define the HNSW index of vectors this size, once per process (idempotent)."""
        if dimensions in self._indexed:
            return
        field = f"{_VECTOR_PREFIX}{int(dimensions)}"
        await self._db.write(
            f"DEFINE INDEX IF NOT EXISTS chunk_{field} ON chunk FIELDS {field}"
            f" HNSW DIMENSION {int(dimensions)} DIST COSINE TYPE F32"
        )
        self._indexed.add(dimensions)

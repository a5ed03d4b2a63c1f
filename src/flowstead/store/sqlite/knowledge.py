"""Knowledge bases, their documents and chunks in SQLite, with FTS5 and vector search."""

from __future__ import annotations

import builtins
import sqlite3
import time
from array import array
from collections.abc import Sequence
from typing import Any

import aiosqlite

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
from flowstead.store.sqlite.database import Database
from flowstead.store.sqlite.vectors import VectorIndex

# Chunk columns without the embedding, which search results do not carry.
_HIT_COLUMNS = "c.id, c.kb_id, c.document_id, c.position, c.content, c.metadata"
_BUMP = "UPDATE knowledge_bases SET index_version = index_version + 1 WHERE id = ?"
# FTS5 scores every row an OR query matches, several microseconds each, so a common word
# in 100,000 chunks costs a good part of a second. Terms are taken rarest first while the
# rows they match stay within this budget (common words weigh little in BM25 anyway).
POSTINGS_BUDGET = 2_000


def _knowledge_base(row: sqlite3.Row) -> KnowledgeBase:
    return to_record(KnowledgeBase, row, ("separators", "retrieval"))


def _document(row: sqlite3.Row) -> KnowledgeDocument:
    return to_record(KnowledgeDocument, row, ("metadata",))


def _chunk(row: sqlite3.Row) -> Chunk:
    data = dict(row)
    if data.get("embedding") is not None:
        data["embedding"] = array("f", data["embedding"]).tolist()
    return to_record(Chunk, data, ("metadata",))


def _float32(embedding: list[float] | None) -> bytes | None:
    return None if embedding is None else array("f", embedding).tobytes()


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _where_filters(filters: MetadataFilters | None) -> tuple[str, list[Any]]:
    """` AND …` clauses matching chunk metadata (keys are JSON object keys), and params."""
    sql, params = "", []
    for key, values in (filters or {}).items():
        if '"' in key:
            raise ValueError(f"a metadata filter key cannot hold a double quote: {key!r}")
        sql += f" AND json_extract(c.metadata, ?) IN ({_marks(values)})"
        params += [f'$."{key}"', *values]
    return sql, params


def _match(terms: Sequence[str]) -> str:
    """An FTS5 query for any of the terms, each quoted so none reads as an operator."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


class SqliteKnowledgeBases:
    def __init__(self, db: Database) -> None:
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
        try:
            await self._db.write(
                "INSERT INTO knowledge_bases (id, name, description, embedding_provider,"
                " embedding_model, chunk_size, chunk_overlap, separators, retrieval,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kb.id,
                    name,
                    description,
                    embedding_provider,
                    embedding_model,
                    chunk_size,
                    chunk_overlap,
                    dumps(kb.separators),
                    dumps(kb.retrieval),
                    kb.created_at,
                    kb.updated_at,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"a knowledge base named {name!r} already exists") from exc
        return kb

    async def get(self, kb_id: str) -> KnowledgeBase | None:
        row = await self._db.fetch_one("SELECT * FROM knowledge_bases WHERE id = ?", (kb_id,))
        return None if row is None else _knowledge_base(row)

    async def get_by_name(self, name: str) -> KnowledgeBase | None:
        row = await self._db.fetch_one("SELECT * FROM knowledge_bases WHERE name = ?", (name,))
        return None if row is None else _knowledge_base(row)

    async def list(self) -> builtins.list[KnowledgeBase]:
        rows = await self._db.fetch_all("SELECT * FROM knowledge_bases ORDER BY name")
        return [_knowledge_base(row) for row in rows]

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
            rows = await self._db.write(
                "UPDATE knowledge_bases SET name = ?, description = ?, embedding_provider = ?,"
                " embedding_model = ?, chunk_size = ?, chunk_overlap = ?, separators = ?,"
                " retrieval = ?, updated_at = ? WHERE id = ? RETURNING *",
                (
                    name,
                    description,
                    embedding_provider,
                    embedding_model,
                    chunk_size,
                    chunk_overlap,
                    dumps(list(separators)),
                    dumps(retrieval),
                    time.time(),
                    kb_id,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"a knowledge base named {name!r} already exists") from exc
        if not rows:
            raise NotFound("knowledge base", kb_id)
        return _knowledge_base(rows[0])

    async def delete(self, kb_id: str) -> bool:
        rows = await self._db.write(
            "DELETE FROM knowledge_bases WHERE id = ? RETURNING id", (kb_id,)
        )
        return bool(rows)


class SqliteDocuments:
    def __init__(self, db: Database) -> None:
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
        try:
            await self._db.write(
                "INSERT INTO documents (id, kb_id, name, source, content_type, size, status,"
                " metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document.id,
                    kb_id,
                    name,
                    source,
                    content_type,
                    size,
                    document.status,
                    dumps(document.metadata),
                    document.created_at,
                    document.updated_at,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise NotFound("knowledge base", kb_id) from exc
        return document

    async def get(self, document_id: str) -> KnowledgeDocument | None:
        row = await self._db.fetch_one("SELECT * FROM documents WHERE id = ?", (document_id,))
        return None if row is None else _document(row)

    async def list(self, kb_id: str) -> builtins.list[KnowledgeDocument]:
        rows = await self._db.fetch_all(
            "SELECT * FROM documents WHERE kb_id = ? ORDER BY created_at, id", (kb_id,)
        )
        return [_document(row) for row in rows]

    async def set_file(
        self, document_id: str, *, size: int, content_type: str
    ) -> KnowledgeDocument:
        rows = await self._db.write(
            "UPDATE documents SET size = ?, content_type = ?, updated_at = ? WHERE id = ?"
            " RETURNING *",
            (size, content_type, time.time(), document_id),
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
        rows = await self._db.write(
            "UPDATE documents SET status = ?, error = ?,"
            " progress = coalesce(?, progress), chunk_count = coalesce(?, chunk_count),"
            " updated_at = ? WHERE id = ? RETURNING *",
            (status, error, progress, chunk_count, time.time(), document_id),
        )
        if not rows:
            raise NotFound("document", document_id)
        return _document(rows[0])

    async def delete(self, document_id: str) -> bool:
        async with self._db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "DELETE FROM documents WHERE id = ? RETURNING kb_id", (document_id,)
                )
            )
            if rows:
                await conn.execute(_BUMP, (rows[0][0],))
        return bool(rows)


class SqliteChunks:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._vectors = VectorIndex(db)

    async def add_many(self, document_id: str, chunks: Sequence[NewChunk]) -> builtins.list[Chunk]:
        async with self._db.transaction() as conn:
            return await _insert(conn, document_id, chunks, replace=False)

    async def replace(self, document_id: str, chunks: Sequence[NewChunk]) -> builtins.list[Chunk]:
        async with self._db.transaction() as conn:
            return await _insert(conn, document_id, chunks, replace=True)

    async def list(
        self, document_id: str, *, limit: int = 1000, offset: int = 0
    ) -> builtins.list[Chunk]:
        rows = await self._db.fetch_all(
            "SELECT * FROM chunks WHERE document_id = ? ORDER BY position LIMIT ? OFFSET ?",
            (document_id, limit, offset),
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
        where, params = _where_filters(filters)
        rows: builtins.list[sqlite3.Row] = []
        for match in await self._selective(terms):
            # bm25() is lower for better matches; `rank` is it, and lets FTS5 order cheaply.
            rows = await self._db.fetch_all(
                f"SELECT {_HIT_COLUMNS}, -chunks_fts.rank AS score FROM chunks_fts"
                " JOIN chunks AS c ON c.seq = chunks_fts.rowid"
                f" WHERE chunks_fts MATCH ? AND c.kb_id IN ({_marks(kb_ids)}){where}"
                " ORDER BY chunks_fts.rank LIMIT ?",
                [match, *kb_ids, *params, limit],
            )
            if rows:
                break
        return [ChunkHit(chunk=_chunk(row), score=row["score"]) for row in rows]

    async def _selective(self, terms: Sequence[str]) -> builtins.list[str]:
        """FTS5 queries to try in turn: the rarest terms within the postings budget; when
        even the rarest is over it, first the rows holding every term, then the rarest."""
        counts = {}
        for term in terms:
            row = await self._db.fetch_one(
                "SELECT count(*) FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?"
                " LIMIT ?)",
                (_match([term]), POSTINGS_BUDGET + 1),
            )
            counts[term] = row[0] if row is not None else 0
        found = sorted((term for term in terms if counts[term]), key=lambda t: counts[t])
        kept: builtins.list[str] = []
        for term in found:
            if kept and sum(counts[t] for t in kept) + counts[term] > POSTINGS_BUDGET:
                break
            kept.append(term)
        if not kept:
            return []
        if counts[kept[0]] > POSTINGS_BUDGET and len(found) > 1:
            return [" AND ".join(_match([term]) for term in found), _match(kept)]
        return [_match(kept)]

    async def search_vector(
        self,
        kb_ids: Sequence[str],
        embedding: Sequence[float],
        *,
        limit: int,
        filters: MetadataFilters | None = None,
    ) -> builtins.list[ChunkHit]:
        allowed = None
        if filters:
            where, params = _where_filters(filters)
            rows = await self._db.fetch_all(
                f"SELECT c.seq FROM chunks AS c WHERE c.kb_id IN ({_marks(kb_ids)}){where}",
                [*kb_ids, *params],
            )
            allowed = [row[0] for row in rows]
        nearest = await self._vectors.nearest(kb_ids, embedding, limit, allowed)
        if not nearest:
            return []
        rows = await self._db.fetch_all(
            f"SELECT c.seq, {_HIT_COLUMNS} FROM chunks AS c WHERE c.seq IN ({_marks(nearest)})",
            [seq for seq, _ in nearest],
        )
        found = {row["seq"]: _chunk(row) for row in rows}
        return [ChunkHit(chunk=found[seq], score=score) for seq, score in nearest if seq in found]


async def _insert(
    conn: aiosqlite.Connection, document_id: str, chunks: Sequence[NewChunk], *, replace: bool
) -> builtins.list[Chunk]:
    """Add chunks to a document (after removing its old ones when `replace`)."""
    rows = list(
        await conn.execute_fetchall("SELECT kb_id FROM documents WHERE id = ?", (document_id,))
    )
    if not rows:
        raise NotFound("document", document_id)
    kb_id = rows[0][0]
    if replace:
        await conn.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
    added = [fresh.chunk(new_id(), chunk, kb_id=kb_id, document_id=document_id) for chunk in chunks]
    await conn.executemany(
        "INSERT INTO chunks (id, kb_id, document_id, position, content, metadata,"
        " embedding) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                c.id,
                kb_id,
                document_id,
                c.position,
                c.content,
                dumps(c.metadata),
                _float32(c.embedding),
            )
            for c in added
        ],
    )
    await conn.execute(_BUMP, (kb_id,))
    return added

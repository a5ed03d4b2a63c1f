"""Knowledge bases, their documents and chunks in SQLite (search comes later)."""

from __future__ import annotations

import builtins
import sqlite3
import time
import uuid
from array import array
from collections.abc import Sequence
from typing import Any

from flowstead.store.codec import dumps, to_record
from flowstead.store.errors import Conflict, NotFound
from flowstead.store.records import Chunk, KnowledgeBase, KnowledgeDocument, NewChunk
from flowstead.store.sqlite.database import Database


def _document(row: sqlite3.Row) -> KnowledgeDocument:
    return to_record(KnowledgeDocument, row, ("metadata",))


def _chunk(row: sqlite3.Row) -> Chunk:
    data = dict(row)
    if data["embedding"] is not None:
        data["embedding"] = array("f", data["embedding"]).tolist()
    return to_record(Chunk, data, ("metadata",))


def _float32(embedding: list[float] | None) -> bytes | None:
    return None if embedding is None else array("f", embedding).tobytes()


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
    ) -> KnowledgeBase:
        now = time.time()
        kb = KnowledgeBase(
            id=str(uuid.uuid4()),
            name=name,
            description=description,
            embedding_provider=embedding_provider,
            embedding_model=embedding_model,
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            created_at=now,
            updated_at=now,
        )
        try:
            await self._db.write(
                "INSERT INTO knowledge_bases (id, name, description, embedding_provider,"
                " embedding_model, chunk_size, chunk_overlap, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kb.id,
                    name,
                    description,
                    embedding_provider,
                    embedding_model,
                    chunk_size,
                    chunk_overlap,
                    now,
                    now,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"a knowledge base named {name!r} already exists") from exc
        return kb

    async def get(self, kb_id: str) -> KnowledgeBase | None:
        row = await self._db.fetch_one("SELECT * FROM knowledge_bases WHERE id = ?", (kb_id,))
        return None if row is None else to_record(KnowledgeBase, row)

    async def list(self) -> builtins.list[KnowledgeBase]:
        rows = await self._db.fetch_all("SELECT * FROM knowledge_bases ORDER BY name")
        return [to_record(KnowledgeBase, row) for row in rows]

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
        size: int = 0,
        metadata: dict[str, Any] | None = None,
    ) -> KnowledgeDocument:
        now = time.time()
        document = KnowledgeDocument(
            id=str(uuid.uuid4()),
            kb_id=kb_id,
            name=name,
            source=source,
            size=size,
            metadata=metadata or {},
            created_at=now,
            updated_at=now,
        )
        try:
            await self._db.write(
                "INSERT INTO documents (id, kb_id, name, source, size, status, metadata,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document.id,
                    kb_id,
                    name,
                    source,
                    size,
                    document.status,
                    dumps(document.metadata),
                    now,
                    now,
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
        rows = await self._db.write(
            "DELETE FROM documents WHERE id = ? RETURNING id", (document_id,)
        )
        return bool(rows)


class SqliteChunks:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_many(self, document_id: str, chunks: Sequence[NewChunk]) -> builtins.list[Chunk]:
        async with self._db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT kb_id FROM documents WHERE id = ?", (document_id,)
                )
            )
            if not rows:
                raise NotFound("document", document_id)
            kb_id = rows[0][0]
            added = [
                Chunk(
                    id=str(uuid.uuid4()),
                    kb_id=kb_id,
                    document_id=document_id,
                    position=chunk.position,
                    content=chunk.content,
                    metadata=chunk.metadata,
                    embedding=chunk.embedding,
                )
                for chunk in chunks
            ]
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
        return added

    async def list(
        self, document_id: str, *, limit: int = 1000, offset: int = 0
    ) -> builtins.list[Chunk]:
        rows = await self._db.fetch_all(
            "SELECT * FROM chunks WHERE document_id = ? ORDER BY position LIMIT ? OFFSET ?",
            (document_id, limit, offset),
        )
        return [_chunk(row) for row in rows]

"""Knowledge bases, their documents and chunks in SurrealDB (search comes later)."""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Sequence
from typing import Any

from flowstead.store.codec import dumps, to_record
from flowstead.store.errors import Conflict, NotFound
from flowstead.store.records import Chunk, KnowledgeBase, KnowledgeDocument, NewChunk
from flowstead.store.surreal.database import SurrealDatabase, plain, rid

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

_ADD_CHUNKS = """
LET $kb = (SELECT VALUE kb_id FROM ONLY $document);
IF !$kb { THROW 'not_found:document:' + $key };
FOR $chunk IN $chunks {
    CREATE type::thing('chunk', $chunk.id) CONTENT {
        kb_id: $kb, document_id: $key, position: $chunk.position, content: $chunk.content,
        metadata: $chunk.metadata, embedding: $chunk.embedding,
    } RETURN NONE;
};
RETURN $kb;
"""


def _document(row: dict[str, Any]) -> KnowledgeDocument:
    return to_record(KnowledgeDocument, plain(row), ("metadata",))


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
        content = {field: getattr(kb, field) for field in kb.__struct_fields__ if field != "id"}
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

    async def list(self) -> builtins.list[KnowledgeBase]:
        rows = await self._db.select("SELECT * FROM knowledge_base ORDER BY name")
        return [to_record(KnowledgeBase, plain(row)) for row in rows]

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

    async def add_many(self, document_id: str, chunks: Sequence[NewChunk]) -> builtins.list[Chunk]:
        ids = [str(uuid.uuid4()) for _ in chunks]
        kb_id = await self._db.transaction(
            _ADD_CHUNKS,
            {
                "document": rid("kb_document", document_id),
                "key": document_id,
                "chunks": [
                    {
                        "id": chunk_id,
                        "position": chunk.position,
                        "content": chunk.content,
                        "metadata": dumps(chunk.metadata),
                        "embedding": chunk.embedding,
                    }
                    for chunk_id, chunk in zip(ids, chunks, strict=True)
                ],
            },
        )
        return [
            Chunk(
                id=chunk_id,
                kb_id=kb_id,
                document_id=document_id,
                position=chunk.position,
                content=chunk.content,
                metadata=chunk.metadata,
                embedding=chunk.embedding,
            )
            for chunk_id, chunk in zip(ids, chunks, strict=True)
        ]

    async def list(
        self, document_id: str, *, limit: int = 1000, offset: int = 0
    ) -> builtins.list[Chunk]:
        rows = await self._db.select(
            "SELECT * FROM chunk WHERE document_id = $document"
            " ORDER BY position LIMIT $limit START $offset",
            {"document": document_id, "limit": limit, "offset": offset},
        )
        return [to_record(Chunk, plain(row), ("metadata",)) for row in rows]

"""Ingestion of one document: its bytes (kept, or fetched from its URL), text, chunks,
embeddings, then an atomic swap of its chunks; progress recorded in the store as it goes.

The outcome is a value: `ready`, `failed` (the error is on the document), `retry` (a
passing failure, e.g. a provider down, with attempts left) or `gone` (deleted meanwhile).
"""

from __future__ import annotations

import asyncio
import posixpath
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from flowstead.engine.extract import ExtractError, extract_text
from flowstead.engine.ports import HttpClient, HttpError, HttpRequest, LLMError
from flowstead.knowledge.chunking import ChunkingSettings, Piece, chunk_text
from flowstead.knowledge.embedding import EmbedderFor
from flowstead.knowledge.files import DocumentFiles
from flowstead.store.errors import NotFound
from flowstead.store.protocol import Store
from flowstead.store.records import KnowledgeBase, KnowledgeDocument, NewChunk

MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdx")
# Statuses that are not retried: the request itself is wrong, asking again changes nothing.
_RETRYABLE_STATUS = frozenset({408, 425, 429})
# HttpError messages (see providers/http.py) that no retry can change.
_FINAL_HTTP_ERRORS = ("response larger than", "invalid URL")

Status = Literal["ready", "failed", "retry", "gone"]


@dataclass(frozen=True)
class IngestResult:
    status: Status
    error: str | None = None
    chunks: int = 0


class _Failure(Exception):
    """Ends an ingestion; `retry` says whether trying again later may help."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


class Ingestor:
    def __init__(
        self,
        store: Store,
        files: DocumentFiles,
        http: HttpClient,
        embedder_for: EmbedderFor,
        *,
        max_bytes: int,
        batch_size: int = 64,
        progress_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._files = files
        self._http = http
        self._embedder_for = embedder_for
        self._max_bytes = max_bytes
        self._batch = batch_size
        self._progress_seconds = progress_seconds
        self._clock = clock

    async def ingest(self, document_id: str, *, final_attempt: bool = True) -> IngestResult:
        """Index the document again from its file; on a passing failure with attempts
        left, the document goes back to `queued` with the error, to be tried again."""
        document = await self._store.documents.get(document_id)
        kb = None if document is None else await self._store.knowledge_bases.get(document.kb_id)
        if document is None or kb is None:
            return IngestResult("gone")
        try:
            await self._store.documents.set_status(document_id, "processing", progress=0.0)
            count = await self._index(kb, document)
            await self._store.documents.set_status(
                document_id, "ready", progress=1.0, chunk_count=count
            )
        except NotFound:
            return IngestResult("gone")
        except _Failure as failure:
            return await self._failed(
                document_id, str(failure), failure.retry and not final_attempt
            )
        return IngestResult("ready", chunks=count)

    async def _failed(self, document_id: str, error: str, retry: bool) -> IngestResult:
        try:
            if retry:
                await self._store.documents.set_status(
                    document_id, "queued", error=f"{error} (trying again)"
                )
                return IngestResult("retry", error)
            await self._store.documents.set_status(document_id, "failed", error=error)
        except NotFound:
            return IngestResult("gone")
        return IngestResult("failed", error)

    async def _index(self, kb: KnowledgeBase, document: KnowledgeDocument) -> int:
        data, content_type = await self._content(kb, document)
        if not data:
            raise _Failure("the file is empty")
        try:
            text = await asyncio.to_thread(extract_text, data, document.name, content_type or None)
        except ExtractError as exc:
            raise _Failure(f"cannot read {document.name}: {exc}") from exc
        pieces = chunk_text(text, settings_of(kb), markdown=_is_markdown(document, content_type))
        if not pieces:
            raise _Failure(f"no text was found in {document.name}")
        await self._store.documents.set_status(document.id, "processing", progress=0.1)
        vectors = await self._embed(kb, document.id, pieces)
        chunks = [
            NewChunk(
                position=position,
                content=piece.text,
                metadata=_metadata(document, piece),
                embedding=vector,
            )
            for position, (piece, vector) in enumerate(zip(pieces, vectors, strict=True))
        ]
        await self._store.chunks.replace(document.id, chunks)
        return len(chunks)

    async def _content(self, kb: KnowledgeBase, document: KnowledgeDocument) -> tuple[bytes, str]:
        """The document's bytes and content type: the kept file, else fetched from its URL."""
        data = await self._files.read(kb.id, document.id)
        if data is not None:
            return data, document.content_type
        if not document.source.startswith(("http://", "https://")):
            raise _Failure("its file is missing from the data dir: upload it again")
        try:
            response = await self._http.send(
                HttpRequest("GET", document.source, max_response_bytes=self._max_bytes)
            )
        except HttpError as exc:
            final = str(exc).startswith(_FINAL_HTTP_ERRORS)
            raise _Failure(f"fetching {document.source} failed: {exc}", retry=not final) from exc
        if response.status >= 400:
            retry = response.status >= 500 or response.status in _RETRYABLE_STATUS
            raise _Failure(
                f"fetching {document.source} answered HTTP {response.status}", retry=retry
            )
        content_type = next(
            (value for key, value in response.headers.items() if key.lower() == "content-type"), ""
        )
        await self._files.save(kb.id, document.id, response.body)
        await self._store.documents.set_file(
            document.id, size=len(response.body), content_type=content_type
        )
        return response.body, content_type

    async def _embed(
        self, kb: KnowledgeBase, document_id: str, pieces: Sequence[Piece]
    ) -> Sequence[list[float] | None]:
        """One vector per piece; none at all when the knowledge base has no embedder."""
        embedder = self._embedder_for(kb)
        if embedder is None:
            return [None] * len(pieces)
        vectors: list[list[float]] = []
        reported = self._clock()
        for start in range(0, len(pieces), self._batch):
            batch = pieces[start : start + self._batch]
            try:
                vectors += await embedder.embed([_embedding_text(piece) for piece in batch])
            except LLMError as exc:
                retry = exc.status is None or exc.status >= 500 or exc.status in _RETRYABLE_STATUS
                raise _Failure(f"embedding failed: {exc}", retry=retry) from exc
            if self._clock() - reported >= self._progress_seconds:
                reported = self._clock()
                progress = 0.1 + 0.85 * len(vectors) / len(pieces)
                await self._store.documents.set_status(document_id, "processing", progress=progress)
        if len(vectors) != len(pieces):
            raise _Failure(
                f"the embedding model returned {len(vectors)} vectors for {len(pieces)} texts"
            )
        return vectors


def settings_of(kb: KnowledgeBase) -> ChunkingSettings:
    defaults = ChunkingSettings()
    return ChunkingSettings(
        size=kb.chunk_size,
        overlap=kb.chunk_overlap,
        separators=tuple(kb.separators) or defaults.separators,
    )


def _is_markdown(document: KnowledgeDocument, content_type: str) -> bool:
    extension = posixpath.splitext(document.name)[1].lower()
    return extension in MARKDOWN_EXTENSIONS or content_type.startswith("text/markdown")


def _metadata(document: KnowledgeDocument, piece: Piece) -> dict[str, object]:
    """The document's own metadata, its name, and the chunk's headings (Markdown)."""
    metadata: dict[str, object] = {**document.metadata, "document": document.name}
    if piece.headings:
        metadata["headings"] = list(piece.headings)
    return metadata


def _embedding_text(piece: Piece) -> str:
    """What is embedded: the headings above a chunk say what it is about."""
    if not piece.headings:
        return piece.text
    return " › ".join(piece.headings) + "\n" + piece.text

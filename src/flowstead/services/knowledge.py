"""Knowledge bases as people manage them: settings, uploads and URL imports queued for
ingestion by the worker, chunk previews, re-indexing, and trying a query."""

from __future__ import annotations

import builtins
import posixpath
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flowstead.knowledge.chunking import DEFAULT_SEPARATORS
from flowstead.knowledge.embedding import EmbedderFor, embedders
from flowstead.knowledge.files import DocumentFiles
from flowstead.knowledge.filters import FilterError, metadata_filters
from flowstead.knowledge.ingest import Ingestor
from flowstead.knowledge.retrieval import Found, KnowledgeRetriever, Mode
from flowstead.providers.http import HttpxHttpClient
from flowstead.providers.router import ProviderRouter
from flowstead.services.collaborators import StoredProviders
from flowstead.services.notify import JOBS, Notifier
from flowstead.store.errors import NotFound
from flowstead.store.protocol import INGEST_JOB_KIND, Store
from flowstead.store.records import Chunk, KnowledgeBase, KnowledgeDocument, RetrievalSettings

EMBEDDING_KINDS = ("openai", "ollama")
MIN_CHUNK, MAX_CHUNK = 100, 8000
MAX_SEPARATORS = 10
INGEST_ATTEMPTS = 3


class KnowledgeRejected(ValueError):
    """A request about knowledge bases that cannot be done; the message says why."""


@dataclass(frozen=True)
class KnowledgeSettings:
    """What a person chooses for a knowledge base (`embedding_provider` None: built-in)."""

    name: str
    description: str = ""
    embedding_provider: str | None = None
    embedding_model: str | None = None
    chunk_size: int = 512
    chunk_overlap: int = 64
    separators: tuple[str, ...] = ()
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)

    @classmethod
    def of(cls, kb: KnowledgeBase) -> KnowledgeSettings:
        return cls(
            name=kb.name,
            description=kb.description,
            embedding_provider=kb.embedding_provider,
            embedding_model=kb.embedding_model,
            chunk_size=kb.chunk_size,
            chunk_overlap=kb.chunk_overlap,
            separators=tuple(kb.separators),
            retrieval=kb.retrieval,
        )

    def indexes_like(self, other: KnowledgeSettings) -> bool:
        """Whether documents indexed under `other` stay valid under these settings."""
        return (
            self.embedding_provider,
            self.embedding_model,
            self.chunk_size,
            self.chunk_overlap,
            self.separators,
        ) == (
            other.embedding_provider,
            other.embedding_model,
            other.chunk_size,
            other.chunk_overlap,
            other.separators,
        )


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    content_type: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


class KnowledgeService:
    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        data_dir: Path,
        embedder_for: EmbedderFor,
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._files = DocumentFiles(data_dir)
        self._embedder_for = embedder_for
        self.retriever = KnowledgeRetriever(store, embedder_for)

    async def create(self, settings: KnowledgeSettings) -> KnowledgeBase:
        await self._check(settings)
        return await self._store.knowledge_bases.create(
            name=settings.name,
            description=settings.description,
            embedding_provider=settings.embedding_provider,
            embedding_model=settings.embedding_model,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
            separators=settings.separators,
            retrieval=settings.retrieval,
        )

    async def update(self, kb_id: str, settings: KnowledgeSettings) -> KnowledgeBase:
        """Change the settings; a new model or chunking re-indexes every document."""
        before = KnowledgeSettings.of(await self.get(kb_id))
        await self._check(settings)
        kb = await self._store.knowledge_bases.update(
            kb_id,
            name=settings.name,
            description=settings.description,
            embedding_provider=settings.embedding_provider,
            embedding_model=settings.embedding_model,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
            separators=settings.separators,
            retrieval=settings.retrieval,
        )
        if not settings.indexes_like(before):
            await self.reindex(kb_id)
        return kb

    async def get(self, kb_id: str) -> KnowledgeBase:
        kb = await self._store.knowledge_bases.get(kb_id)
        if kb is None:
            raise NotFound("knowledge base", kb_id)
        return kb

    async def list(self) -> builtins.list[KnowledgeBase]:
        return await self._store.knowledge_bases.list()

    async def delete(self, kb_id: str) -> None:
        if not await self._store.knowledge_bases.delete(kb_id):
            raise NotFound("knowledge base", kb_id)
        await self._files.delete_all(kb_id)

    async def upload(
        self, kb_id: str, uploads: Sequence[Upload]
    ) -> builtins.list[KnowledgeDocument]:
        """Keep each file under the data dir and queue it for ingestion."""
        await self.get(kb_id)
        added = []
        for upload in uploads:
            document = await self._store.documents.add(
                kb_id=kb_id,
                name=_file_name(upload.name),
                source="upload",
                content_type=upload.content_type,
                size=len(upload.data),
                metadata=dict(upload.metadata),
            )
            await self._files.save(kb_id, document.id, upload.data)
            await self._enqueue(document.id)
            added.append(document)
        return added

    async def import_url(
        self,
        kb_id: str,
        url: str,
        *,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> KnowledgeDocument:
        """Queue a web page or file for ingestion; the worker fetches it."""
        await self.get(kb_id)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise KnowledgeRejected(f"not an http(s) URL: {url!r}")
        document = await self._store.documents.add(
            kb_id=kb_id,
            name=name or _url_name(url),
            source=url,
            metadata=dict(metadata or {}),
        )
        await self._enqueue(document.id)
        return document

    async def documents(self, kb_id: str) -> builtins.list[KnowledgeDocument]:
        await self.get(kb_id)
        return await self._store.documents.list(kb_id)

    async def document(self, kb_id: str, document_id: str) -> KnowledgeDocument:
        document = await self._store.documents.get(document_id)
        if document is None or document.kb_id != kb_id:
            raise NotFound("document", document_id)
        return document

    async def chunks(
        self, kb_id: str, document_id: str, *, limit: int, offset: int
    ) -> builtins.list[Chunk]:
        await self.document(kb_id, document_id)
        return await self._store.chunks.list(document_id, limit=limit, offset=offset)

    async def delete_document(self, kb_id: str, document_id: str) -> None:
        """Delete it with its chunks (and so their index entries) and its file."""
        await self.document(kb_id, document_id)
        await self._store.documents.delete(document_id)
        await self._files.delete(kb_id, document_id)

    async def reindex(
        self, kb_id: str, document_id: str | None = None
    ) -> builtins.list[KnowledgeDocument]:
        """Queue the document (or all of the knowledge base's) for ingestion again."""
        if document_id is not None:
            targets = [await self.document(kb_id, document_id)]
        else:
            targets = await self.documents(kb_id)
        queued = []
        for document in targets:
            queued.append(await self._store.documents.set_status(document.id, "queued"))
            await self._enqueue(document.id)
        return queued

    async def query(
        self,
        kb_id: str,
        query: str,
        *,
        top_k: int = 4,
        score_threshold: float | None = None,
        filters: Mapping[str, Any] | None = None,
        mode: Mode = "hybrid",
    ) -> builtins.list[Found]:
        kb = await self.get(kb_id)
        if not query.strip():
            raise KnowledgeRejected("the query is empty")
        try:
            checked = metadata_filters(filters)
        except FilterError as exc:
            raise KnowledgeRejected(str(exc)) from exc
        return await self.retriever.search(
            [kb],
            query,
            top_k=top_k,
            score_threshold=score_threshold,
            filters=checked,
            mode=mode,
        )

    async def _enqueue(self, document_id: str) -> None:
        await self._store.jobs.enqueue(
            INGEST_JOB_KIND, {"document_id": document_id}, max_attempts=INGEST_ATTEMPTS
        )
        self._notifier.publish(JOBS)

    async def _check(self, settings: KnowledgeSettings) -> None:
        """Refuse settings that cannot work, including an embedding model that fails."""
        if not settings.name.strip() or len(settings.name) > 100:
            raise KnowledgeRejected("a knowledge base needs a name of 1 to 100 characters")
        if not MIN_CHUNK <= settings.chunk_size <= MAX_CHUNK:
            raise KnowledgeRejected(
                f"`chunk_size` must be from {MIN_CHUNK} to {MAX_CHUNK} characters"
            )
        if not 0 <= settings.chunk_overlap <= settings.chunk_size // 2:
            raise KnowledgeRejected("`chunk_overlap` must be from 0 to half the chunk size")
        if len(settings.separators) > MAX_SEPARATORS or "" in settings.separators:
            raise KnowledgeRejected(
                f"`separators` must be at most {MAX_SEPARATORS} non-empty strings"
                f" (default: {list(DEFAULT_SEPARATORS)})"
            )
        weight = settings.retrieval.vector_weight
        if weight is not None and not 0 <= weight <= 1:
            raise KnowledgeRejected(
                "`retrieval.vector_weight` must be from 0 (full-text decides) to 1 (vectors"
                " decide), or left out for the model's default"
            )
        if settings.embedding_provider is None:
            return
        provider = await self._store.providers.get(settings.embedding_provider)
        if provider is None or provider.kind not in EMBEDDING_KINDS:
            raise KnowledgeRejected(
                f"`embedding_provider` must be a configured {' or '.join(EMBEDDING_KINDS)}"
                f" provider; {settings.embedding_provider!r} is not"
            )
        if not settings.embedding_model:
            raise KnowledgeRejected("an `embedding_provider` needs an `embedding_model`")
        probe = KnowledgeBase(
            id="",
            name=settings.name,
            embedding_provider=settings.embedding_provider,
            embedding_model=settings.embedding_model,
            created_at=0.0,
            updated_at=0.0,
        )
        embedder = self._embedder_for(probe)
        if embedder is not None:
            await embedder.embed(["test"])


def _file_name(name: str) -> str:
    """The file's own name, without any folder a browser or client sent along."""
    base = posixpath.basename(name.replace("\\", "/")).strip()
    return base or "untitled"


def _url_name(url: str) -> str:
    parts = urlsplit(url)
    return posixpath.basename(parts.path.rstrip("/")) or parts.netloc


@asynccontextmanager
async def open_ingestor(store: Store, data_dir: Path, *, max_bytes: int) -> AsyncIterator[Ingestor]:
    """An ingestor with its own provider router and HTTP client, closed after the block."""
    providers = StoredProviders(store)
    async with (
        ProviderRouter(providers.config, providers.secret) as router,
        HttpxHttpClient() as http,
    ):
        yield Ingestor(store, DocumentFiles(data_dir), http, embedders(router), max_bytes=max_bytes)

"""`/api/knowledge-bases`: knowledge bases, their documents (uploads and URL imports,
ingested by the worker), chunk previews, re-indexing, and a query to try retrieval."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeAlias

import msgspec
from litestar import Controller, Litestar, Request, Response, delete, get, patch, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, SkipValidation

from flowstead.api.errors import error_response
from flowstead.knowledge.embedding import embedders
from flowstead.knowledge.retrieval import Found
from flowstead.services.knowledge import (
    KnowledgeRejected,
    KnowledgeService,
    KnowledgeSettings,
    Upload,
)
from flowstead.settings import Settings
from flowstead.store.records import (
    Chunk,
    KnowledgeBase,
    KnowledgeDocument,
    RetrievalMode,
    RetrievalSettings,
)

KnowledgeDep: TypeAlias = NamedDependency[SkipValidation[KnowledgeService]]


class KnowledgeBaseCreate(msgspec.Struct, kw_only=True):
    name: str
    description: str = ""
    # Left out (null): the built-in offline model. Else an openai or ollama provider's id.
    embedding_provider: str | None = None
    embedding_model: str | None = None
    # In characters.
    chunk_size: int = 512
    chunk_overlap: int = 64
    # Tried in order; empty: paragraphs, lines, sentences, words.
    separators: list[str] = []
    # How it is searched; `vector_weight` left out: 0.01 for the built-in model (full-text
    # decides, vectors fill in), 0.5 for a provider's model (an even vote).
    retrieval: RetrievalSettings = RetrievalSettings()


class RetrievalUpdate(msgspec.Struct, kw_only=True):
    mode: RetrievalMode | msgspec.UnsetType = msgspec.UNSET
    # null: the model's default again.
    vector_weight: float | msgspec.UnsetType | None = msgspec.UNSET

    def applied_to(self, current: RetrievalSettings) -> RetrievalSettings:
        changes = {k: v for k, v in msgspec.structs.asdict(self).items() if v is not msgspec.UNSET}
        return msgspec.structs.replace(current, **changes)


class KnowledgeBaseUpdate(msgspec.Struct, kw_only=True):
    """Fields left out stay; a new model or chunking re-indexes every document."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    embedding_provider: str | msgspec.UnsetType | None = msgspec.UNSET
    embedding_model: str | msgspec.UnsetType | None = msgspec.UNSET
    chunk_size: int | msgspec.UnsetType = msgspec.UNSET
    chunk_overlap: int | msgspec.UnsetType = msgspec.UNSET
    separators: list[str] | msgspec.UnsetType = msgspec.UNSET
    # Only the fields given change; no re-indexing.
    retrieval: RetrievalUpdate | msgspec.UnsetType = msgspec.UNSET


class UrlImport(msgspec.Struct, kw_only=True):
    url: str
    # The document's name; by default the last part of the URL's path.
    name: str | None = None
    metadata: dict[str, Any] = {}


class Query(msgspec.Struct, kw_only=True):
    query: str
    top_k: int = 4
    # Compared with the fused score (0…1).
    score_threshold: float | None = None
    # Chunk metadata key → a value or a list of allowed values.
    filters: dict[str, Any] = {}
    # hybrid: the knowledge base as it is set up (`retrieval`); text or vector: that alone.
    mode: RetrievalMode = "hybrid"


class ChunkView(msgspec.Struct, kw_only=True):
    id: str
    position: int
    content: str
    metadata: dict[str, Any]

    @classmethod
    def of(cls, chunk: Chunk) -> ChunkView:
        return cls(
            id=chunk.id, position=chunk.position, content=chunk.content, metadata=chunk.metadata
        )


class ChunkPage(msgspec.Struct, kw_only=True):
    chunks: list[ChunkView]
    total: int
    limit: int
    offset: int


class MethodScore(msgspec.Struct, kw_only=True):
    """A method's rank (from 1) and raw score: BM25 for text, cosine for vectors."""

    rank: int
    score: float


class QueryResult(msgspec.Struct, kw_only=True):
    chunk_id: str
    document_id: str
    document: str
    knowledge_base: str
    position: int
    content: str
    metadata: dict[str, Any]
    score: float
    text: MethodScore | None
    vector: MethodScore | None

    @classmethod
    def of(cls, found: Found) -> QueryResult:
        chunk = found.chunk
        return cls(
            chunk_id=chunk.id,
            document_id=chunk.document_id,
            document=found.document,
            knowledge_base=found.knowledge_base,
            position=chunk.position,
            content=chunk.content,
            metadata=chunk.metadata,
            score=found.score,
            text=_method(found.text_rank, found.text_score),
            vector=_method(found.vector_rank, found.vector_score),
        )


class QueryResults(msgspec.Struct, kw_only=True):
    results: list[QueryResult]


def _method(rank: int | None, score: float | None) -> MethodScore | None:
    return None if rank is None or score is None else MethodScore(rank=rank, score=score)


def _rejected(_: Request[Any, Any, Any], exc: KnowledgeRejected) -> Response[Any]:
    message = str(exc)
    return error_response(400, message[:1].upper() + message[1:] + ".")


def knowledge_service(state: State) -> KnowledgeService:
    """The knowledge service the lifespan put on the app's state."""
    service: KnowledgeService = state.knowledge
    return service


def knowledge_lifespan(
    settings: Settings,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The knowledge service on `app.state`; runs after the app's own lifespan opened the
    store, the notifier and the provider router."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.knowledge = KnowledgeService(
            app.state.store, app.state.notifier, settings.data_dir, embedders(app.state.router)
        )
        yield

    return lifespan


class KnowledgeController(Controller):
    path = "/knowledge-bases"
    tags = ("knowledge",)
    # Litestar reads these class attributes once, when it registers the controller.
    dependencies = {"knowledge": Provide(knowledge_service, sync_to_thread=False)}  # noqa: RUF012
    exception_handlers = {KnowledgeRejected: _rejected}  # noqa: RUF012

    @post("/", summary="Create a knowledge base")
    async def create(
        self, data: JSONBody[KnowledgeBaseCreate], knowledge: KnowledgeDep
    ) -> KnowledgeBase:
        return await knowledge.create(
            KnowledgeSettings(
                **msgspec.structs.asdict(data) | {"separators": tuple(data.separators)}
            )
        )

    @get("/", summary="Knowledge bases, by name")
    async def list_knowledge_bases(self, knowledge: KnowledgeDep) -> list[KnowledgeBase]:
        return await knowledge.list()

    @get("/{kb_id:str}", summary="One knowledge base")
    async def get_knowledge_base(
        self, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> KnowledgeBase:
        return await knowledge.get(kb_id)

    @patch("/{kb_id:str}", summary="Change settings (a new model or chunking re-indexes)")
    async def update(
        self, kb_id: FromPath[str], data: JSONBody[KnowledgeBaseUpdate], knowledge: KnowledgeDep
    ) -> KnowledgeBase:
        current = KnowledgeSettings.of(await knowledge.get(kb_id))
        changes: dict[str, Any] = {
            name: tuple(value) if name == "separators" else value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if isinstance(data.retrieval, RetrievalUpdate):
            changes["retrieval"] = data.retrieval.applied_to(current.retrieval)
        return await knowledge.update(kb_id, dataclasses.replace(current, **changes))

    @delete("/{kb_id:str}", summary="Delete a knowledge base with its documents")
    async def delete_knowledge_base(self, kb_id: FromPath[str], knowledge: KnowledgeDep) -> None:
        await knowledge.delete(kb_id)

    @post("/{kb_id:str}/documents", summary="Upload files (multipart: `file`, repeatable)")
    async def upload(
        self, kb_id: FromPath[str], request: Request[Any, Any, Any], knowledge: KnowledgeDep
    ) -> list[KnowledgeDocument]:
        form = await request.form()
        metadata = _form_metadata(form.get("metadata"))
        files = [value for value in form.getall("file", []) if isinstance(value, UploadFile)]
        if not files:
            raise KnowledgeRejected("send the files as multipart form fields named `file`")
        uploads = [
            Upload(f.filename, await f.read(), f.content_type or "", metadata) for f in files
        ]
        return await knowledge.upload(kb_id, uploads)

    @post("/{kb_id:str}/documents/import", summary="Import a web page or file by URL")
    async def import_url(
        self, kb_id: FromPath[str], data: JSONBody[UrlImport], knowledge: KnowledgeDep
    ) -> KnowledgeDocument:
        return await knowledge.import_url(kb_id, data.url, name=data.name, metadata=data.metadata)

    @get("/{kb_id:str}/documents", summary="Documents with their status, progress and error")
    async def documents(
        self, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> list[KnowledgeDocument]:
        return await knowledge.documents(kb_id)

    @get("/{kb_id:str}/documents/{document_id:str}", summary="One document")
    async def document(
        self, kb_id: FromPath[str], document_id: FromPath[str], knowledge: KnowledgeDep
    ) -> KnowledgeDocument:
        return await knowledge.document(kb_id, document_id)

    @get("/{kb_id:str}/documents/{document_id:str}/chunks", summary="A page of chunks")
    async def chunks(
        self,
        kb_id: FromPath[str],
        document_id: FromPath[str],
        knowledge: KnowledgeDep,
        limit: FromQuery[int] = 20,
        offset: FromQuery[int] = 0,
    ) -> ChunkPage:
        limit, offset = max(1, min(limit, 200)), max(0, offset)
        document = await knowledge.document(kb_id, document_id)
        chunks = await knowledge.chunks(kb_id, document_id, limit=limit, offset=offset)
        return ChunkPage(
            chunks=[ChunkView.of(c) for c in chunks],
            total=document.chunk_count,
            limit=limit,
            offset=offset,
        )

    @delete("/{kb_id:str}/documents/{document_id:str}", summary="Delete a document")
    async def delete_document(
        self, kb_id: FromPath[str], document_id: FromPath[str], knowledge: KnowledgeDep
    ) -> None:
        await knowledge.delete_document(kb_id, document_id)

    @post("/{kb_id:str}/reindex", status_code=202, summary="Re-index every document")
    async def reindex(
        self, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> list[KnowledgeDocument]:
        return await knowledge.reindex(kb_id)

    @post(
        "/{kb_id:str}/documents/{document_id:str}/reindex",
        status_code=202,
        summary="Re-index one document",
    )
    async def reindex_document(
        self, kb_id: FromPath[str], document_id: FromPath[str], knowledge: KnowledgeDep
    ) -> list[KnowledgeDocument]:
        return await knowledge.reindex(kb_id, document_id)

    @post("/{kb_id:str}/query", status_code=200, summary="Ranked chunks for a query")
    async def query(
        self, kb_id: FromPath[str], data: JSONBody[Query], knowledge: KnowledgeDep
    ) -> QueryResults:
        found = await knowledge.query(
            kb_id,
            data.query,
            top_k=max(1, min(data.top_k, 100)),
            score_threshold=data.score_threshold,
            filters=data.filters,
            mode=data.mode,
        )
        return QueryResults(results=[QueryResult.of(f) for f in found])


def _form_metadata(raw: object) -> dict[str, Any]:
    """The `metadata` form field: a JSON object, or nothing."""
    if raw is None or raw == "":
        return {}
    try:
        value = msgspec.json.decode(str(raw))
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict):
        raise KnowledgeRejected("the `metadata` field must be a JSON object")
    return value

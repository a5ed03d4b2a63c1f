"""Knowledge pages: the knowledge bases, one base's documents (upload with progress, URL
import, status as ingestion goes), a document's chunks, and a box to try a query."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from flowstead.api.admin.knowledge import KnowledgeDep, knowledge_service
from flowstead.api.deps import StoreDep
from flowstead.knowledge.retrieval import Mode, vector_weight
from flowstead.services import providers
from flowstead.services.knowledge import KnowledgeRejected, KnowledgeSettings, Upload
from flowstead.store.errors import Conflict
from flowstead.store.records import KnowledgeBase, RetrievalSettings
from flowstead.web.responses import page, redirect
from flowstead.web.studio import form_pairs

AnyRequest = Request[Any, Any, Any]
CHUNKS_PER_PAGE = 20
MODES: tuple[Mode, ...] = ("hybrid", "text", "vector")
MODES_BY_NAME: dict[str, Mode] = {mode: mode for mode in MODES}


def _field(form: dict[str, list[str]], name: str, default: str = "") -> str:
    return (form.get(name) or [default])[0].strip()


def _retrieval(form: dict[str, list[str]]) -> RetrievalSettings:
    """The retrieval fields: a method, and the vectors' share (blank: the model's default)."""
    weight = _field(form, "vector_weight")
    return RetrievalSettings(
        mode=MODES_BY_NAME.get(_field(form, "retrieval_mode"), "hybrid"),
        vector_weight=float(weight) if weight else None,
    )


async def _list_context(store: StoreDep, knowledge: KnowledgeDep) -> dict[str, Any]:
    listed = await providers.listed(store)
    return {
        "section": "knowledge",
        "knowledge_bases": await knowledge.list(),
        "providers": [p for p in listed if p.kind in ("openai", "ollama")],
        "error": "",
        "values": {},
    }


async def _documents_context(knowledge: KnowledgeDep, kb: KnowledgeBase) -> dict[str, Any]:
    documents = await knowledge.documents(kb.id)
    busy = any(d.status in ("queued", "processing") for d in documents)
    return {"kb": kb, "documents": documents, "busy": busy, "import_error": ""}


async def _detail(
    request: AnyRequest, knowledge: KnowledgeDep, kb: KnowledgeBase, **extra: Any
) -> Template:
    context = await _documents_context(knowledge, kb)
    return page(
        request,
        "knowledge/detail.html",
        section="knowledge",
        modes=MODES,
        vector_weight=vector_weight(kb),
        **context | {"retrieval_error": ""} | extra,
    )


async def _documents(
    request: AnyRequest, knowledge: KnowledgeDep, kb_id: str, **extra: Any
) -> Template:
    """The documents partial (it polls itself while ingestion goes on)."""
    context = await _documents_context(knowledge, await knowledge.get(kb_id))
    return page(request, "knowledge/_documents.html", **context | extra)


class KnowledgePages(Controller):
    path = "/knowledge"
    # Litestar reads this class attribute once, when it registers the controller.
    dependencies = {"knowledge": Provide(knowledge_service, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def list_page(
        self, request: AnyRequest, store: StoreDep, knowledge: KnowledgeDep
    ) -> Template:
        return page(request, "knowledge/list.html", **await _list_context(store, knowledge))

    @post("/")
    async def create(
        self, request: AnyRequest, store: StoreDep, knowledge: KnowledgeDep
    ) -> Response[Any] | Template:
        form = await form_pairs(request)
        provider = _field(form, "embedding_provider") or None
        try:
            kb = await knowledge.create(
                KnowledgeSettings(
                    name=_field(form, "name"),
                    description=_field(form, "description"),
                    embedding_provider=provider,
                    embedding_model=(_field(form, "embedding_model") or None) if provider else None,
                    chunk_size=int(_field(form, "chunk_size", "512") or 512),
                    chunk_overlap=int(_field(form, "chunk_overlap", "64") or 64),
                    retrieval=_retrieval(form),
                )
            )
        except (KnowledgeRejected, Conflict, ValueError) as exc:
            context = await _list_context(store, knowledge)
            values = {k: _field(form, k) for k in form}
            message = str(exc)
            return page(
                request,
                "knowledge/list.html",
                status_code=400,
                **context | {"error": message[:1].upper() + message[1:], "values": values},
            )
        return redirect(request, f"/knowledge/{kb.id}")

    @get("/{kb_id:str}")
    async def detail(
        self, request: AnyRequest, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> Template:
        return await _detail(request, knowledge, await knowledge.get(kb_id))

    @post("/{kb_id:str}/retrieval")
    async def retrieval(
        self, request: AnyRequest, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> Response[Any] | Template:
        kb = await knowledge.get(kb_id)
        try:
            settings = KnowledgeSettings.of(kb)
            retrieval = _retrieval(await form_pairs(request))
            await knowledge.update(kb_id, dataclasses.replace(settings, retrieval=retrieval))
        except (KnowledgeRejected, ValueError) as exc:
            return await _detail(request, knowledge, kb, status_code=400, retrieval_error=str(exc))
        return redirect(request, f"/knowledge/{kb_id}")

    @get("/{kb_id:str}/documents")
    async def documents(
        self, request: AnyRequest, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> Template:
        return await _documents(request, knowledge, kb_id)

    @post("/{kb_id:str}/upload")
    async def upload(
        self, request: AnyRequest, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> Template:
        form = await request.form()
        files = [f for f in form.getall("file", []) if isinstance(f, UploadFile) and f.filename]
        uploads = [Upload(f.filename, await f.read(), f.content_type or "") for f in files]
        await knowledge.upload(kb_id, uploads)
        return await _documents(request, knowledge, kb_id)

    @post("/{kb_id:str}/import")
    async def import_url(
        self, request: AnyRequest, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> Template:
        try:
            await knowledge.import_url(kb_id, _field(await form_pairs(request), "url"))
        except KnowledgeRejected as exc:
            return await _documents(request, knowledge, kb_id, import_error=str(exc))
        return await _documents(request, knowledge, kb_id)

    @post("/{kb_id:str}/reindex")
    async def reindex(
        self, request: AnyRequest, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> Template:
        await knowledge.reindex(kb_id)
        return await _documents(request, knowledge, kb_id)

    @post("/{kb_id:str}/documents/{document_id:str}/delete")
    async def delete_document(
        self,
        request: AnyRequest,
        kb_id: FromPath[str],
        document_id: FromPath[str],
        knowledge: KnowledgeDep,
    ) -> Template:
        await knowledge.delete_document(kb_id, document_id)
        return await _documents(request, knowledge, kb_id)

    @get("/{kb_id:str}/documents/{document_id:str}")
    async def chunks(
        self,
        request: AnyRequest,
        kb_id: FromPath[str],
        document_id: FromPath[str],
        knowledge: KnowledgeDep,
        page_number: FromQuery[int] = 1,
    ) -> Template:
        kb = await knowledge.get(kb_id)
        document = await knowledge.document(kb_id, document_id)
        number = max(1, page_number)
        chunks = await knowledge.chunks(
            kb_id, document_id, limit=CHUNKS_PER_PAGE, offset=(number - 1) * CHUNKS_PER_PAGE
        )
        pages = max(1, -(-document.chunk_count // CHUNKS_PER_PAGE))
        return page(
            request,
            "knowledge/chunks.html",
            section="knowledge",
            kb=kb,
            document=document,
            chunks=chunks,
            page_number=number,
            pages=pages,
        )

    @post("/{kb_id:str}/query")
    async def query(
        self, request: AnyRequest, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> Template:
        form = await form_pairs(request)
        mode = MODES_BY_NAME.get(_field(form, "mode"), "hybrid")
        try:
            found = await knowledge.query(
                kb_id,
                _field(form, "query"),
                top_k=max(1, min(int(_field(form, "top_k", "5") or 5), 50)),
                mode=mode,
            )
        except (KnowledgeRejected, ValueError) as exc:
            return page(request, "knowledge/_results.html", results=[], error=str(exc))
        return page(request, "knowledge/_results.html", results=found, error="")

    @post("/{kb_id:str}/delete")
    async def delete(
        self, request: AnyRequest, kb_id: FromPath[str], knowledge: KnowledgeDep
    ) -> Response[Any]:
        await knowledge.delete(kb_id)
        return redirect(request, "/knowledge")

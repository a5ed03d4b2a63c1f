"""Workflows: the list with search and last run status, create (blank, template, import),
duplicate, delete with confirmation."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Template

from flowstead.api.deps import RouterDep, StoreDep
from flowstead.services import providers, workflows
from flowstead.web import catalog
from flowstead.web.deps import DraftsDep
from flowstead.web.responses import is_htmx, page, redirect
from flowstead.web.starters import STARTERS

AnyRequest = Request[Any, Any, Any]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class WorkflowPages(Controller):
    path = "/workflows"

    @get("/")
    async def list_page(
        self, request: AnyRequest, store: StoreDep, q: FromQuery[str] = ""
    ) -> Template:
        rows = await catalog.workflow_rows(store, q)
        template = "workflows/_rows.html" if is_htmx(request) else "workflows/list.html"
        return page(request, template, section="workflows", rows=rows, q=q)

    @get("/new")
    async def new_page(self, request: AnyRequest, store: StoreDep) -> Template:
        return page(
            request,
            "workflows/new.html",
            section="workflows",
            starters=list(STARTERS.values()),
            error="",
            providers=[p.id for p in await providers.listed(store)],
        )

    @post("/")
    async def create(
        self, request: AnyRequest, data: Form, store: StoreDep, router: RouterDep
    ) -> Response[Any]:
        name = str(data.get("name", "")).strip()
        starter = STARTERS.get(str(data.get("starter", "blank")))
        if starter is None:
            return await self._new_again(request, store, "Choose one of the templates.")
        draft = await catalog.create_from_starter(store, router, starter, name)
        return redirect(request, f"/workflows/{draft.workflow.id}")

    @post("/import")
    async def import_file(
        self, request: AnyRequest, data: Multipart, store: StoreDep
    ) -> Response[Any]:
        upload = data.get("file")
        text = await upload.read() if isinstance(upload, UploadFile) else b""
        pasted = str(data.get("text", "")).strip()
        outcome = await catalog.import_text(
            store, text or pasted.encode(), str(data.get("name", "")).strip()
        )
        if outcome.error:
            return await self._new_again(request, store, outcome.error, status=400)
        return page(request, "workflows/imported.html", section="workflows", outcome=outcome)

    @post("/{workflow_id:str}/duplicate")
    async def duplicate(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep
    ) -> Response[Any]:
        copy = await workflows.duplicate(store, workflow_id)
        return redirect(request, f"/workflows/{copy.workflow.id}")

    @get("/{workflow_id:str}/delete")
    async def delete_page(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep
    ) -> Template:
        draft = await workflows.get(store, workflow_id)
        counts = await catalog.delete_counts(store, workflow_id)
        return page(
            request,
            "workflows/delete.html",
            section="workflows",
            workflow=draft.workflow,
            counts=counts,
        )

    @post("/{workflow_id:str}/delete")
    async def delete(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> Response[Any]:
        await workflows.delete(store, workflow_id)
        drafts.forget(workflow_id)
        return redirect(request, "/workflows")

    async def _new_again(
        self, request: AnyRequest, store: StoreDep, error: str, status: int = 400
    ) -> Template:
        return page(
            request,
            "workflows/new.html",
            status_code=status,
            section="workflows",
            starters=list(STARTERS.values()),
            error=error,
            providers=[p.id for p in await providers.listed(store)],
        )

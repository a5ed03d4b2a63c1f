"""Runs: the editor's run panel (a form from the Start inputs, then the live run), the
history with a status filter, a run's detail, stop, and "rerun from this node"."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from flowstead.api.deps import RunsDep, StoreDep
from flowstead.services import workflows
from flowstead.services.runs import RunRejected
from flowstead.services.uploads import UploadService
from flowstead.store.errors import NotFound
from flowstead.web import forms
from flowstead.web.deps import DraftsDep
from flowstead.web.responses import is_htmx, page, redirect
from flowstead.web.runfiles import forget, uploaded_inputs
from flowstead.web.runview import (
    RUN_STATUSES,
    rerun_edits,
    rerun_values,
    run_inputs,
    run_page,
    run_rows,
)
from flowstead.web.studio import Studio, form_pairs

AnyRequest = Request[Any, Any, Any]
WEB_SOURCE = "web"


class RunPanel(Controller):
    path = "/workflows/{workflow_id:str}/run"

    @get("/")
    async def form(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        return page(
            request,
            "workflows/_run_form.html",
            **studio.page_context(can_undo=False),
        )

    @post("/")
    async def start(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        store: StoreDep,
        drafts: DraftsDep,
        runs: RunsDep,
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        inputs_spec = workflows.start_inputs(studio.document)
        pairs = await form_pairs(request)
        values, error = run_inputs(forms.form_reader(pairs), inputs_spec)
        uploads: UploadService = request.app.state.uploads
        kept: list[str] = []
        if not error:
            files, kept, error = await uploaded_inputs(request, inputs_spec, uploads)
            values.update(files)
        if not error:
            try:
                run = await runs.start_run(
                    workflow_id, version=None, inputs=values, source=WEB_SOURCE
                )
            except RunRejected as exc:
                error = str(exc)
                await forget(uploads, kept)
            else:
                return page(
                    request, "workflows/_run_live.html", run=run, workflow=studio.draft.workflow
                )
        context = studio.page_context(can_undo=False)
        context.update(run_error=error, values={k: v[-1] for k, v in pairs.items()})
        return page(request, "workflows/_run_form.html", **context)


class RunPages(Controller):
    path = "/runs"

    @get("/")
    async def history(
        self,
        request: AnyRequest,
        store: StoreDep,
        status: FromQuery[str] = "",
        workflow: FromQuery[str] = "",
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        rows = await run_rows(store, status=status, workflow_id=workflow, offset=offset)
        template = "runs/_rows.html" if is_htmx(request) else "runs/list.html"
        named = await store.workflows.get(workflow) if workflow else None
        return page(
            request,
            template,
            section="runs",
            rows=rows,
            status=status,
            statuses=RUN_STATUSES,
            workflow_filter=named,
            offset=offset,
            page_size=50,
        )

    @get("/{run_id:str}")
    async def detail(self, request: AnyRequest, run_id: FromPath[str], store: StoreDep) -> Template:
        view = await run_page(store, run_id)
        template = "runs/_detail.html" if is_htmx(request) else "runs/detail.html"
        return page(request, template, section="runs", view=view)

    @get("/{run_id:str}/rerun")
    async def rerun_form(
        self, request: AnyRequest, run_id: FromPath[str], store: StoreDep, node: FromQuery[str]
    ) -> Template:
        view = await run_page(store, run_id)
        if view.document is None or view.document.node(node) is None:
            raise NotFound("node", node)
        return page(
            request,
            "runs/_rerun.html",
            view=view,
            node=view.document.node(node),
            values=rerun_values(view, node),
            errors={},
            error="",
        )

    @post("/{run_id:str}/rerun")
    async def rerun(
        self, request: AnyRequest, run_id: FromPath[str], store: StoreDep, runs: RunsDep
    ) -> Response[Any]:
        read = forms.form_reader(await form_pairs(request))
        node_id = read("node_id") or ""
        view = await run_page(store, run_id)
        node = view.document.node(node_id) if view.document else None
        if node is None:
            raise NotFound("node", node_id)
        values = rerun_values(view, node_id)
        edits, errors = rerun_edits(read, values)
        error = ""
        if not errors:
            try:
                new = await runs.rerun_from(run_id, node_id, edits)
            except RunRejected as exc:
                error = str(exc)
            else:
                return redirect(request, f"/runs/{new.id}")
        return page(
            request,
            "runs/_rerun.html",
            status_code=422,
            view=view,
            node=node,
            values=values,
            errors=errors,
            error=error,
        )

    @post("/{run_id:str}/stop")
    async def stop(self, request: AnyRequest, run_id: FromPath[str], runs: RunsDep) -> Template:
        if not await runs.stop_run(run_id):
            raise NotFound("run", run_id)
        return page(request, "runs/_stopping.html")

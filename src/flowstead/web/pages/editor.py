"""The canvas editor: the page, the canvas script's changes (add, move, connect, delete,
undo) as JSON, the side panel's forms through htmx, and publishing."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template

from flowstead.api.deps import StoreDep
from flowstead.dsl.document import IDENTIFIER, RESERVED_IDS
from flowstead.services import providers, workflows
from flowstead.services.workflows import ExportFormat, WorkflowInvalid
from flowstead.store.errors import NotFound
from flowstead.web import forms
from flowstead.web.canvas import issues_payload
from flowstead.web.deps import DraftsDep
from flowstead.web.drafts import EditRejected
from flowstead.web.editor import node_settings
from flowstead.web.responses import page, trigger
from flowstead.web.studio import CanvasUpdate, Studio, form_pairs, workflow_meta

AnyRequest = Request[Any, Any, Any]


class NodeAdd(msgspec.Struct):
    type: str
    x: float
    y: float
    parent: str | None = None


class EdgeIn(msgspec.Struct, rename={"source": "from"}):
    source: str
    to: str
    handle: str | None = None


class StructureIn(msgspec.Struct):
    positions: dict[str, tuple[float, float]] = {}
    edges: list[EdgeIn] | None = None
    deleted: list[str] = []


def _edges(edges: list[EdgeIn] | None) -> list[dict[str, Any]] | None:
    if edges is None:
        return None
    return [{"from": e.source, "to": e.to, "handle": e.handle} for e in edges]


class EditorPages(Controller):
    path = "/workflows/{workflow_id:str}"

    @get("/")
    async def editor(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        return page(
            request,
            "workflows/editor.html",
            section="workflows",
            **studio.page_context(can_undo=drafts.can_undo(workflow_id)),
        )

    @get("/graph")
    async def graph(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> CanvasUpdate:
        studio = await Studio.load(store, workflow_id, drafts)
        return studio.update(request, drafts, graph=True)

    @post("/nodes")
    async def add_node(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        data: JSONBody[NodeAdd],
        store: StoreDep,
        drafts: DraftsDep,
    ) -> Response[CanvasUpdate]:
        known = [p.id for p in await providers.listed(store)]
        try:
            draft, node_id = await drafts.add_node(
                store, workflow_id, data.type, data.x, data.y, parent=data.parent, providers=known
            )
        except EditRejected as exc:
            update = CanvasUpdate({}, drafts.can_undo(workflow_id), error=str(exc))
            return Response(update, status_code=400)
        studio = Studio.of(draft)
        return Response(studio.update(request, drafts, card_of=node_id))

    @post("/structure")
    async def save_structure(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        data: JSONBody[StructureIn],
        store: StoreDep,
        drafts: DraftsDep,
    ) -> CanvasUpdate:
        draft = await drafts.save_structure(
            store,
            workflow_id,
            positions=data.positions,
            edges=_edges(data.edges),
            deleted=data.deleted,
        )
        return Studio.of(draft).update(request, drafts)

    @post("/undo")
    async def undo(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> CanvasUpdate:
        draft = await drafts.undo(store, workflow_id)
        studio = Studio.of(draft or await drafts.draft(store, workflow_id))
        return studio.update(request, drafts, graph=True, undone=draft is not None)

    @get("/nodes/{node_id:str}")
    async def node_panel(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        node_id: FromPath[str],
        store: StoreDep,
        drafts: DraftsDep,
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        panel = studio.panel(node_id, await _provider_ids(store))
        return page(request, "workflows/_panel.html", **studio.base_context(), panel=panel)

    @post("/nodes/{node_id:str}")
    async def save_node(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        node_id: FromPath[str],
        store: StoreDep,
        drafts: DraftsDep,
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        node = studio.document.node(node_id)
        if node is None:
            raise NotFound("node", node_id)
        pairs = await form_pairs(request)
        read = forms.form_reader(pairs)
        action = read("_action")
        parsed = studio.parse_config(node, read, list(pairs), action)
        settings, settings_errors = node_settings(read, node)
        draft = await drafts.save_node(
            store,
            workflow_id,
            node_id,
            config=parsed.config,
            settings=settings,
            key=f"node:{node_id}",
        )
        saved = Studio.of(draft)
        errors = {**parsed.errors, **settings_errors}
        events = {
            "flowstead:issues": issues_payload(draft.issues),
            "flowstead:field-errors": {k: v for k, v in errors.items() if "#" not in k},
            "flowstead:undo": drafts.can_undo(workflow_id),
        }
        if action:
            panel = saved.panel(node_id, await _provider_ids(store))
            headers = {"HX-Retarget": "#panel", "HX-Reswap": "innerHTML", **trigger(events)}
            return page(
                request,
                "workflows/_panel.html",
                headers=headers,
                **saved.base_context(),
                panel=panel,
            )
        return page(
            request,
            "workflows/_node_saved.html",
            headers=trigger(events),
            **saved.base_context(),
            card=saved.card(node_id),
            panel=saved.panel(node_id, await _provider_ids(store)),
            errors=errors,
        )

    @post("/nodes/{node_id:str}/rename")
    async def rename_node(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        node_id: FromPath[str],
        store: StoreDep,
        drafts: DraftsDep,
    ) -> Template:
        read = forms.form_reader(await form_pairs(request))
        new_id = (read("new_id") or "").strip()
        problem = _id_problem(new_id)
        target = node_id
        if problem is None and new_id != node_id:
            try:
                await drafts.rename_node(store, workflow_id, node_id, new_id)
                target = new_id
            except EditRejected as exc:
                problem = str(exc)
        studio = await Studio.load(store, workflow_id, drafts)
        panel = studio.panel(target, await _provider_ids(store))
        events = trigger({"flowstead:reload": {"select": target}}) if target != node_id else {}
        return page(
            request,
            "workflows/_panel.html",
            headers=events,
            **studio.base_context(),
            panel=panel,
            rename_error=problem or "",
        )

    @post("/nodes/{node_id:str}/edges")
    async def edit_edges(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        node_id: FromPath[str],
        store: StoreDep,
        drafts: DraftsDep,
    ) -> Template:
        read = forms.form_reader(await form_pairs(request))
        edge = {"from": node_id, "handle": read("handle") or None, "to": read("to") or ""}
        draft = await drafts.set_edge(store, workflow_id, edge, present=read("action") != "remove")
        studio = Studio.of(draft)
        events = {
            "flowstead:reload": {"select": node_id},
            "flowstead:undo": drafts.can_undo(workflow_id),
        }
        return page(
            request,
            "workflows/_panel.html",
            headers=trigger(events),
            **studio.base_context(),
            panel=studio.panel(node_id, await _provider_ids(store)),
        )

    @get("/panel")
    async def workflow_panel(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        return page(request, "workflows/_workflow_panel.html", **studio.base_context(), errors={})

    @post("/panel")
    async def save_workflow(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        read = forms.form_reader(await form_pairs(request))
        meta = workflow_meta(read, studio.document)
        mode_before = studio.document.mode
        if not meta.errors:
            draft = await drafts.replace_document(
                store,
                workflow_id,
                meta.document,
                name=meta.name,
                description=meta.description,
                key="workflow",
            )
            studio = Studio.of(draft)
        events = {
            "flowstead:issues": issues_payload(studio.draft.issues),
            "flowstead:undo": drafts.can_undo(workflow_id),
        }
        headers = trigger(events)
        if studio.document.mode != mode_before:
            headers["HX-Refresh"] = "true"  # the run tab becomes a chat, or back
        context = studio.base_context()
        if meta.errors:  # show what was typed, not what is stored
            context.update(
                env_json=read("environment") or "", conv_json=read("conversation_variables") or ""
            )
        return page(
            request,
            "workflows/_workflow_panel.html",
            headers=headers,
            **context,
            errors=meta.errors,
            saved=not meta.errors,
        )

    @post("/publish")
    async def publish(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep
    ) -> Template:
        try:
            version = await workflows.publish(store, workflow_id)
        except WorkflowInvalid as exc:
            return page(request, "workflows/_publish.html", version=None, issues=exc.issues)
        return page(request, "workflows/_publish.html", version=version, issues=[])

    @get("/export")
    async def export(
        self, workflow_id: FromPath[str], store: StoreDep, format: FromQuery[ExportFormat] = "yaml"
    ) -> Response[str]:
        text = await workflows.export_document(store, workflow_id, format)
        suffix = "yml" if format == "yaml" else "json"
        return Response(
            text,
            media_type="application/yaml" if format == "yaml" else "application/json",
            headers={"Content-Disposition": f'attachment; filename="{workflow_id}.{suffix}"'},
        )


def _id_problem(new_id: str) -> str | None:
    if not IDENTIFIER.match(new_id):
        return "Use letters, digits and underscores, not starting with a digit."
    if new_id in RESERVED_IDS:
        return f"`{new_id}` is reserved; choose another id."
    return None


async def _provider_ids(store: StoreDep) -> list[str]:
    return [p.id for p in await providers.listed(store)]

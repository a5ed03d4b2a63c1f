"""`/api/workflows`: drafts, published versions, import and export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from flowstead.api.admin.schemas import (
    RunStart,
    WorkflowCopy,
    WorkflowCreate,
    WorkflowDetail,
    WorkflowImport,
    WorkflowSummary,
    WorkflowUpdate,
)
from flowstead.api.deps import RunsDep, StoreDep
from flowstead.api.errors import error_response
from flowstead.dsl.dify import DifyExportError
from flowstead.services import dify_import, workflows
from flowstead.services.workflows import ExportFormat
from flowstead.store.records import Run, WorkflowVersion

MEDIA_TYPES = {"yaml": "application/yaml", "json": "application/json", "dify": "application/yaml"}
EXTENSIONS = {"yaml": "yml", "json": "json", "dify": "dify.yml"}


def _not_exportable(_: Request[Any, Any, Any], exc: DifyExportError) -> Response[Any]:
    return error_response(
        422, f"The workflow cannot be exported as Dify DSL: {exc}.", "not_exportable"
    )


class WorkflowController(Controller):
    path = "/workflows"
    tags = ("workflows",)

    @post("/", summary="Create a workflow (a Start → End skeleton unless a document is given)")
    async def create(self, data: JSONBody[WorkflowCreate], store: StoreDep) -> WorkflowDetail:
        draft = await workflows.create(
            store,
            name=data.name,
            description=data.description,
            trigger=data.trigger,
            mode=data.mode,
            document=data.document,
        )
        return WorkflowDetail.of_draft(draft)

    @get("/", summary="List workflows, most recently changed first")
    async def list_workflows(
        self,
        store: StoreDep,
        search: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[WorkflowSummary]:
        found = await workflows.search(store, search, limit=limit, offset=offset)
        return [WorkflowSummary.of(workflow) for workflow in found]

    @get("/{workflow_id:str}", summary="A workflow with its draft document and its issues")
    async def get_workflow(self, workflow_id: FromPath[str], store: StoreDep) -> WorkflowDetail:
        return WorkflowDetail.of_draft(await workflows.get(store, workflow_id))

    @put("/{workflow_id:str}", summary="Replace the draft; answers with its validation issues")
    async def update(
        self, workflow_id: FromPath[str], data: JSONBody[WorkflowUpdate], store: StoreDep
    ) -> WorkflowDetail:
        draft = await workflows.update_draft(
            store, workflow_id, data.document, name=data.name, description=data.description
        )
        return WorkflowDetail.of_draft(draft)

    @delete("/{workflow_id:str}", summary="Delete a workflow with its versions, runs and keys")
    async def delete_workflow(self, workflow_id: FromPath[str], store: StoreDep) -> None:
        await workflows.delete(store, workflow_id)

    @post("/{workflow_id:str}/duplicate", summary="Copy a workflow's draft into a new workflow")
    async def duplicate(
        self,
        workflow_id: FromPath[str],
        store: StoreDep,
        data: JSONBody[WorkflowCopy | None] = None,
    ) -> WorkflowDetail:
        name = data.name if data else None
        return WorkflowDetail.of_draft(await workflows.duplicate(store, workflow_id, name))

    @post("/import", summary="Create a workflow from a Flowstead YAML or JSON document")
    async def import_(self, data: JSONBody[WorkflowImport], store: StoreDep) -> WorkflowDetail:
        draft = await workflows.import_document(store, data.content, data.name)
        return WorkflowDetail.of_draft(draft)

    @get(
        "/{workflow_id:str}/export",
        summary="The draft (or a version) as a Flowstead document, or as Dify DSL",
        exception_handlers={DifyExportError: _not_exportable},
    )
    async def export(
        self,
        workflow_id: FromPath[str],
        store: StoreDep,
        format: FromQuery[ExportFormat | Literal["dify"]] = "yaml",
        version: FromQuery[int | None] = None,
    ) -> Response[str]:
        if format == "dify":
            text = await dify_import.export(store, workflow_id, version)
        else:
            text = await workflows.export_document(store, workflow_id, format, version)
        filename = f"{workflow_id}.{EXTENSIONS[format]}"
        disposition = f'attachment; filename="{filename}"'
        return Response(
            text, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": disposition}
        )

    @post("/{workflow_id:str}/runs", summary="Start a run (of the draft unless a version is named)")
    async def start_run(
        self, workflow_id: FromPath[str], data: JSONBody[RunStart], runs: RunsDep
    ) -> Run:
        return await runs.start_run(
            workflow_id,
            version=data.version,
            inputs=data.inputs,
            user=data.user,
            query=data.query,
            conversation_id=data.conversation_id,
            source="admin",
        )


class VersionController(Controller):
    path = "/workflows/{workflow_id:str}/versions"
    tags = ("workflows",)

    @post("/", summary="Publish the draft as a new immutable version (422 if it has errors)")
    async def publish(self, workflow_id: FromPath[str], store: StoreDep) -> WorkflowVersion:
        return await workflows.publish(store, workflow_id)

    @get("/", summary="Published versions, newest first")
    async def list_versions(
        self, workflow_id: FromPath[str], store: StoreDep
    ) -> list[WorkflowVersion]:
        return await workflows.versions(store, workflow_id)

    @post("/{number:int}/restore", status_code=200, summary="Copy a version into the draft")
    async def restore(
        self, workflow_id: FromPath[str], number: FromPath[int], store: StoreDep
    ) -> WorkflowDetail:
        return WorkflowDetail.of_draft(await workflows.restore(store, workflow_id, number))

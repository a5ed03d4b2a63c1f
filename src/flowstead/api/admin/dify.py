"""`/api/workflows/import/dify`: a new workflow from a Dify DSL export, or a preview of one.

The file comes as a multipart upload (`file`, optionally `name`) or as pasted YAML in a JSON
body (`{"content": "...", "name": "..."}`). Exporting as Dify DSL is
`GET /api/workflows/{id}/export?format=dify` (see `workflows.py`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.types import ExceptionHandlersMap

from flowstead.api.deps import StoreDep
from flowstead.api.errors import ApiError, error_response
from flowstead.dsl.dify import DifyImportError, ReportEntry
from flowstead.dsl.dify.model import Needs
from flowstead.dsl.document import to_data
from flowstead.engine.validation import Issue
from flowstead.services import dify_import
from flowstead.services.dify_import import DifyImport

_MULTIPART = "multipart/form-data"
_DESCRIPTION = (
    "Send the Dify export as a multipart upload (field `file`, optional `name`) or as "
    'JSON `{"content": "<the YAML>", "name": "…"}`. Files over 10 MB are refused (413).'
)


class DifyPasted(msgspec.Struct, kw_only=True):
    # The text of a Dify DSL export (YAML).
    content: str
    name: str | None = None


class DifyImported(msgspec.Struct, kw_only=True):
    """The imported workflow (`id` is None for a preview), its validation issues, the
    importer's report, and what to set up here (`needs`)."""

    id: str | None
    name: str
    description: str
    mode: str
    document: dict[str, Any]
    issues: list[Issue]
    report: list[ReportEntry]
    needs: Needs

    @classmethod
    def of(cls, imported: DifyImport) -> DifyImported:
        workflow, document = imported.workflow, imported.document
        data = to_data(document)
        for field in ("name", "description"):  # on the workflow, as in WorkflowDetail
            data.pop(field, None)
        return cls(
            id=workflow.id if workflow else None,
            name=workflow.name if workflow else document.name,
            description=document.description,
            mode=document.mode,
            document=data,
            issues=imported.issues,
            report=imported.report,
            needs=imported.needs,
        )


def _refused(_: Request[Any, Any, Any], exc: DifyImportError) -> Response[Any]:
    status = 413 if exc.code == "file_too_large" else 400
    return error_response(status, _sentence(str(exc)), exc.code)


_HANDLERS: ExceptionHandlersMap = {DifyImportError: _refused}


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


async def _upload(request: Request[Any, Any, Any]) -> tuple[bytes | str, str | None]:
    """The DSL text and the workflow name a request carries (the service checks its size
    before it parses it)."""
    media_type = request.content_type[0]
    if media_type == _MULTIPART:
        form = await request.form()
        file, name = form.get("file"), form.get("name")
        if isinstance(file, UploadFile):
            content: bytes | str = await file.read()
        elif isinstance(file, str):
            content = file
        else:
            raise ApiError(400, "Send the Dify DSL file as a multipart field named `file`.")
        return content, name if isinstance(name, str) and name else None
    if media_type != "application/json":
        raise ApiError(
            415, f"Send the Dify DSL as {_MULTIPART} (field `file`) or as JSON `{{content}}`."
        )
    try:
        pasted = msgspec.json.decode(await request.body(), type=DifyPasted)
    except msgspec.DecodeError as exc:  # also a missing or mistyped field
        raise ApiError(400, f"The request body is not a pasted Dify DSL: {exc}.") from None
    return pasted.content, pasted.name


class DifyImportController(Controller):
    path = "/workflows/import/dify"
    tags = ("workflows",)

    @post(
        "/",
        summary="Create a workflow from a Dify DSL export",
        description=_DESCRIPTION,
        exception_handlers=_HANDLERS,
    )
    async def import_dify(self, request: Request[Any, Any, Any], store: StoreDep) -> DifyImported:
        content, name = await _upload(request)
        return DifyImported.of(await dify_import.import_workflow(store, content, name))

    @post(
        "/preview",
        status_code=200,
        summary="What importing a Dify DSL export would give, storing nothing",
        description=_DESCRIPTION,
        exception_handlers=_HANDLERS,
    )
    async def preview(self, request: Request[Any, Any, Any], store: StoreDep) -> DifyImported:
        content, _ = await _upload(request)
        return DifyImported.of(await dify_import.preview(store, content))

"""`/api/files`: files uploaded for runs, for scripts and the studio. An upload answers as
`POST /v1/files/upload` does (`dify/files.py`); the list and the deletion are Flowstead's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, FromQuery

from flowstead.api.dify.files import (
    UPLOAD_DESCRIPTION,
    UPLOAD_ERRORS,
    UPLOADS,
    UploadsDep,
    UploadView,
    save_form,
)
from flowstead.store.errors import NotFound

# Who an upload through the admin API is from, when the form names nobody.
ADMIN_USER = "admin"


class FileController(Controller):
    path = "/files"
    tags = ("files",)
    dependencies = UPLOADS

    @post(
        "/",
        status_code=201,
        summary="Upload a file for a run's inputs or files",
        description=UPLOAD_DESCRIPTION,
        exception_handlers=UPLOAD_ERRORS,
    )
    async def upload(self, request: Request[Any, Any, Any], uploads: UploadsDep) -> UploadView:
        return UploadView.of(await save_form(request, uploads, ADMIN_USER))

    @get("/", summary="Uploaded files, newest first")
    async def list_files(
        self, uploads: UploadsDep, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0
    ) -> list[UploadView]:
        found = await uploads.list(limit=max(1, min(limit, 200)), offset=max(0, offset))
        return [UploadView.of(upload) for upload in found]

    @get("/{file_id:str}", summary="One uploaded file's record")
    async def get_file(self, file_id: FromPath[str], uploads: UploadsDep) -> UploadView:
        upload = await uploads.get(file_id)
        if upload is None:
            raise NotFound("file", file_id)
        return UploadView.of(upload)

    @delete("/{file_id:str}", summary="Delete an uploaded file (runs that read it then fail)")
    async def delete_file(self, file_id: FromPath[str], uploads: UploadsDep) -> None:
        if not await uploads.delete(file_id):
            raise NotFound("file", file_id)

"""`POST /v1/files/upload`: keep a file for a run's inputs, answering as Dify does;
`GET /v1/files/{id}/preview`: the bytes of an upload a chat message of the app carries.

The answer's `id` goes into a run's inputs or `files` as
`{"type": "document", "transfer_method": "local_file", "upload_file_id": "<id>"}`. The
admin API's `POST /api/files` (`admin/files.py`) reads the same form and gives the same
answer. Refusals carry Dify's codes: `no_file_uploaded`, `too_many_files` (400),
`file_too_large` (413), `unsupported_file_type` (415); nothing is kept.
"""

from __future__ import annotations

from typing import Any, TypeAlias
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict, State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery, SkipValidation
from litestar.response import File
from litestar.types import ExceptionHandlersMap

from flowstead.api.deps import AppKeyDep
from flowstead.api.errors import ApiError, error_response
from flowstead.services.uploads import UploadRefused, UploadService
from flowstead.store.records import Upload

UploadsDep: TypeAlias = NamedDependency[SkipValidation[UploadService]]
# What a multipart body holds besides the file: boundaries, part headers (the file's
# name among them) and the `user` field. The upload routes take a body this much larger
# than FLOWSTEAD_MAX_UPLOAD_MB, so a file of exactly the limit fits.
FORM_OVERHEAD = 64 * 1024
MAX_USER = 256
UPLOAD_DESCRIPTION = (
    "A multipart form with one file in the field `file` and, optionally, `user` (who"
    " uploads it; kept as `created_by`). Answers 201 with the upload's `id`, `name`,"
    " `size`, `extension`, `mime_type`, `created_by` and `created_at`. Refused:"
    " `no_file_uploaded`, `too_many_files`, `empty_file` (400), `file_too_large` (413,"
    " over FLOWSTEAD_MAX_UPLOAD_MB), `unsupported_file_type` (415, neither the name nor"
    " the part says what the file is)."
)
PREVIEW_DESCRIPTION = (
    "The bytes of an upload that a chat message of this app carries (its `message_files`"
    " `url`), with the upload's type. Shown inline when it is an image, audio, video, PDF"
    " or plain text and `as_attachment` is not true, else a download. 404 `file_not_found`"
    " for any other file."
)
# Types a browser shows without running anything in them. Any other upload (a web page,
# an SVG) is a download, so it never runs at the API's origin.
_INLINE = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)
_STATUS = {"file_too_large": 413, "unsupported_file_type": 415}
# Dify's messages for its codes.
_DIFY_MESSAGES = {
    "no_file_uploaded": "Please upload your file.",
    "too_many_files": "Only one file is allowed.",
}


class UploadView(msgspec.Struct, kw_only=True):
    """Dify's answer to an upload (`created_at` in whole epoch seconds)."""

    id: str
    name: str
    size: int
    extension: str
    mime_type: str
    created_by: str
    created_at: int

    @classmethod
    def of(cls, upload: Upload) -> UploadView:
        return cls(
            id=upload.id,
            name=upload.name,
            size=upload.size,
            extension=upload.extension,
            mime_type=upload.mime_type,
            created_by=upload.created_by,
            created_at=int(upload.created_at),
        )


def provide_uploads(state: State) -> UploadService:
    uploads: UploadService = state.uploads
    return uploads


UPLOADS = {"uploads": Provide(provide_uploads, sync_to_thread=False)}


def _refused(_: Request[Any, Any, Any], exc: UploadRefused) -> Response[Any]:
    return error_response(_STATUS.get(exc.code, 400), str(exc), exc.code)


def _body_too_large(request: Request[Any, Any, Any], exc: RequestEntityTooLarge) -> Response[Any]:
    limit = request.app.state.uploads.max_bytes
    message = f"File size exceeded: the upload is larger than the {limit // (1024 * 1024)} MiB"
    return error_response(413, f"{message} limit (FLOWSTEAD_MAX_UPLOAD_MB).", "file_too_large")


UPLOAD_ERRORS: ExceptionHandlersMap = {
    UploadRefused: _refused,
    RequestEntityTooLarge: _body_too_large,
}


async def save_form(request: Request[Any, Any, Any], uploads: UploadService, user: str) -> Upload:
    """Keep the one file of a multipart form (field `file`); `user` is who uploads it
    when the form does not say. The body is read as it arrives and refused once past the
    route's limit (an announced length past it, before any of it is read)."""
    # The whole body first: Litestar's form parser, cut off by the limit halfway through
    # a file, would leave that file's spooled copy unclosed.
    await request.body()
    form = await request.form()
    files = _files(form)
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise UploadRefused("no_file_uploaded", _DIFY_MESSAGES["no_file_uploaded"])
        if len(files) > 1:
            raise UploadRefused("too_many_files", _DIFY_MESSAGES["too_many_files"])
        given = form.get("user")
        if isinstance(given, str) and given.strip():
            user = given.strip()
        if len(user) > MAX_USER:
            raise ApiError(400, f"`user` is longer than {MAX_USER} characters.")
        data = await file.read()
        return await uploads.save(file.filename, data, _part_type(file), created_by=user)
    finally:
        for part in files:
            await part.close()


def preview_headers(upload: Upload, as_attachment: bool) -> dict[str, str]:
    """`Content-Disposition` with the upload's name (inline only for a type shown
    safely), no type sniffing, and no copies in shared caches (the answer needs a key)."""
    media = upload.mime_type.split(";")[0].strip().lower()
    shown = media in _INLINE or media.startswith(("audio/", "video/"))
    kind = "inline" if shown and not as_attachment else "attachment"
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in upload.name)
    return {
        "Content-Disposition": f'{kind}; filename="{fallback}";'
        f" filename*=UTF-8''{quote(upload.name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private",
    }


def _files(form: FormMultiDict) -> list[UploadFile]:
    return [value for _, value in form.multi_items() if isinstance(value, UploadFile)]


def _part_type(file: UploadFile) -> str | None:
    """The Content-Type the client gave the part; None when it gave none (Litestar
    would say text/plain)."""
    for name, value in file.headers.items():
        if name.lower() == "content-type":
            return value
    return None


class DifyFileController(Controller):
    path = "/files"
    tags = ("dify: files",)
    dependencies = UPLOADS

    @post(
        "/upload",
        status_code=201,
        summary="Upload a file for a run's inputs or files",
        description=UPLOAD_DESCRIPTION,
        exception_handlers=UPLOAD_ERRORS,
    )
    async def upload(self, request: Request[Any, Any, Any], uploads: UploadsDep) -> UploadView:
        return UploadView.of(await save_form(request, uploads, ""))

    @get(
        "/{file_id:str}/preview",
        summary="An uploaded file of a chat message",
        description=PREVIEW_DESCRIPTION,
    )
    async def preview(
        self,
        file_id: FromPath[str],
        app_key: AppKeyDep,
        uploads: UploadsDep,
        as_attachment: FromQuery[bool] = False,
    ) -> File:
        found = await uploads.in_messages(app_key.workflow_id, file_id)
        if found is None:
            raise ApiError(404, "The requested file was not found.", code="file_not_found")
        upload, path = found
        headers = preview_headers(upload, as_attachment)
        return File(path, media_type=upload.mime_type, headers=headers)

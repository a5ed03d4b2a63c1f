"""The studio's file pickers (the run form's and the chat's file inputs, a chat message's
attachments): each chosen file is kept as an upload, and the run gets the value
`POST /v1/files/upload` + `local_file` would have given it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile

from flowstead.engine.nodes.start import StartInput
from flowstead.services.uploads import UploadRefused, UploadService

# Who the studio's uploads are from (Dify's `created_by`).
STUDIO_USER = "studio"

AnyRequest = Request[Any, Any, Any]


async def uploaded_inputs(
    request: AnyRequest, inputs: Iterable[StartInput], uploads: UploadService
) -> tuple[dict[str, Any], list[str], str]:
    """The values of the `file` and `files` inputs from the form's file parts, the ids of
    the uploads made for them, and an error message ("" when all were kept). On an error
    nothing stays: the uploads already made are deleted."""
    form = await request.form()
    values: dict[str, Any] = {}
    kept: list[str] = []
    for spec in inputs:
        if spec.type not in ("file", "files"):
            continue
        parts = _chosen(form, f"in.{spec.name}")
        chosen, error = await _keep(parts[:1] if spec.type == "file" else parts, uploads, kept)
        if error:
            await forget(uploads, kept)
            return {}, [], f"{spec.label or spec.name}: {error}"
        if chosen:
            values[spec.name] = chosen[0] if spec.type == "file" else chosen
    return values, kept, ""


async def uploaded_files(
    request: AnyRequest, field: str, uploads: UploadService, label: str
) -> tuple[list[dict[str, Any]], list[str], str]:
    """The files chosen in the form's `field` as a run's `files` (its `sys.files`), the
    ids of the uploads made for them, and an error message starting with `label` ("" when
    all were kept). On an error nothing stays."""
    kept: list[str] = []
    chosen, error = await _keep(_chosen(await request.form(), field), uploads, kept)
    if error:
        await forget(uploads, kept)
        return [], [], f"{label}: {error}"
    return chosen, kept, ""


async def forget(uploads: UploadService, upload_ids: Sequence[str]) -> None:
    """Delete uploads made for a run that was then refused."""
    for upload_id in upload_ids:
        await uploads.delete(upload_id)


def _chosen(form: FormMultiDict, field: str) -> list[UploadFile]:
    # A file input left empty sends a part without a file name.
    return [
        part for part in form.getall(field, []) if isinstance(part, UploadFile) and part.filename
    ]


async def _keep(
    parts: Iterable[UploadFile], uploads: UploadService, kept: list[str]
) -> tuple[list[dict[str, Any]], str]:
    """Keep each part as an upload (its id added to `kept` at once), giving Dify's
    local_file values; stops at the first refusal, giving its message."""
    values: list[dict[str, Any]] = []
    for part in parts:
        try:
            upload = await uploads.save(
                part.filename, await part.read(), part.content_type, created_by=STUDIO_USER
            )
        except UploadRefused as exc:
            return values, str(exc)
        except Exception:
            # The disk or the store failed: keep nothing, as far as they still let us.
            with contextlib.suppress(Exception):
                await forget(uploads, kept)
            raise
        kept.append(upload.id)
        values.append({"transfer_method": "local_file", "upload_file_id": upload.id})
    return values, ""

"""The run form's file inputs: each chosen file is kept as an upload, and the Start input
gets the value `POST /v1/files/upload` + `local_file` would have given it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile

from flowstead.engine.nodes.start import StartInput
from flowstead.services.uploads import UploadRefused, UploadService

# Who the studio's uploads are from (Dify's `created_by`).
STUDIO_USER = "studio"


async def uploaded_inputs(
    request: Request[Any, Any, Any], inputs: Iterable[StartInput], uploads: UploadService
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
        parts = [
            part
            for part in form.getall(f"in.{spec.name}", [])
            if isinstance(part, UploadFile) and part.filename
        ]
        if spec.type == "file":
            parts = parts[:1]
        chosen = []
        for part in parts:
            try:
                upload = await uploads.save(
                    part.filename, await part.read(), part.content_type, created_by=STUDIO_USER
                )
            except UploadRefused as exc:
                await forget(uploads, kept)
                return {}, [], f"{spec.label or spec.name}: {exc}"
            kept.append(upload.id)
            chosen.append({"transfer_method": "local_file", "upload_file_id": upload.id})
        if chosen:
            values[spec.name] = chosen[0] if spec.type == "file" else chosen
    return values, kept, ""


async def forget(uploads: UploadService, upload_ids: Sequence[str]) -> None:
    """Delete uploads made for a run that was then refused."""
    for upload_id in upload_ids:
        await uploads.delete(upload_id)

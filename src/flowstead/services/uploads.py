"""Files uploaded for runs, and the file values of a run's inputs.

An upload keeps its bytes in `<data dir>/uploads/<id>` and its record in the store. The
bytes go first, through a temporary file in the same folder renamed into place, and the
record after them; a failure removes what was written, so there is never a record without
its file nor a file the record would have named.

Callers speak Dify's file values (`{"type": "document", "transfer_method": "local_file",
"upload_file_id": …}` or `{"transfer_method": "remote_url", "url": …}`) or Flowstead's own
(`{"id": …}`, `{"url": …}`); `FileValues` turns them into the values the engine reads
(see `engine.ports.Files`) before a run is stored, so the engine never looks anything up.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import os
import posixpath
import re
import tempfile
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, unquote, urlsplit

from flowstead.engine.ports import GENERIC_MEDIA_TYPES
from flowstead.services.files import upload_path, uploads_dir
from flowstead.store.ids import new_id
from flowstead.store.protocol import Store
from flowstead.store.records import Upload

MIB = 1024 * 1024
# Dify keeps names to 200 characters (the extension kept).
MAX_NAME = 200
FILE_TYPES = ("document", "image", "audio", "video", "custom")
TRANSFER_METHODS = ("local_file", "remote_url")
# What a chat message keeps of each file its turn carried (`Message.files`).
MESSAGE_FILE_FIELDS = (
    "id",
    "url",
    "name",
    "type",
    "mime_type",
    "extension",
    "size",
    "transfer_method",
)
# Files a crash left are removed once they are this old (seconds): no save takes so long.
ORPHAN_SECONDS = 3600.0
_PARTIAL_PREFIX = ".upload-"

# The file types Dify guesses from an extension when a value says `custom` or no type.
_IMAGE = frozenset({"jpg", "jpeg", "png", "webp", "gif", "svg"})
_VIDEO = frozenset({"mp4", "mov", "mpeg", "webm"})
_AUDIO = frozenset({"mp3", "m4a", "wav", "amr", "mpga"})
_DOCUMENT = frozenset(
    {"txt", "markdown", "md", "mdx", "pdf", "html", "htm", "xlsx", "xls", "docx", "csv"}
    | {"vtt", "properties", "json"}
)

# Python's own table, without the system's (which differs between machines), plus the
# types of files people upload that it lacks.
_EXTRA_TYPES = {
    "text/markdown": (".md", ".markdown", ".mdx"),
    "application/yaml": (".yaml", ".yml"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "image/webp": (".webp",),
    "audio/mp4": (".m4a",),
    "text/vtt": (".vtt",),
}


def _mime_types() -> mimetypes.MimeTypes:
    table = mimetypes.MimeTypes()
    for mime_type, extensions in _EXTRA_TYPES.items():
        for dotted in extensions:
            table.add_type(mime_type, dotted)
    return table


_TYPES = _mime_types()

RefusalCode = Literal[
    "no_file_uploaded",
    "too_many_files",
    "filename_not_exists_error",
    "empty_file",
    "file_too_large",
    "unsupported_file_type",
]


class UploadRefused(Exception):
    """An upload was not kept; nothing was stored. `code` is Dify's word for why."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class InvalidFileValue(ValueError):
    """A run's file value names no upload, or is not a file value; the message says which
    input and what is wrong."""


@dataclass(frozen=True)
class UploadService:
    store: Store
    data_dir: Path
    max_bytes: int

    async def save(
        self, name: str, data: bytes, content_type: str | None = None, *, created_by: str = ""
    ) -> Upload:
        """Keep a file: its bytes under the data dir, then its record. `content_type` is
        what the client said (None: nothing); raises `UploadRefused`."""
        name = clean_name(name)
        if not name:
            raise UploadRefused("filename_not_exists_error", "The file has no name.")
        if not data:
            raise UploadRefused("empty_file", f"The file '{name}' is empty.")
        if len(data) > self.max_bytes:
            raise UploadRefused(
                "file_too_large",
                f"File size exceeded: '{name}' is {len(data):,} bytes, over the"
                f" {_mib(self.max_bytes)} limit (FLOWSTEAD_MAX_UPLOAD_MB).",
            )
        mime_type = media_type(name, content_type)
        if mime_type is None:
            raise UploadRefused(
                "unsupported_file_type",
                f"File type not allowed: '{name}' has no extension and the upload no"
                " content type, so what it holds is unknown.",
            )
        upload_id = new_id()
        path = upload_path(self.data_dir, upload_id)
        await asyncio.to_thread(_write_new, path, data)
        try:
            return await self.store.uploads.add(
                upload_id,
                name=name,
                size=len(data),
                extension=extension(name),
                mime_type=mime_type,
                created_by=created_by,
            )
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    async def get(self, upload_id: str) -> Upload | None:
        return await self.store.uploads.get(upload_id)

    async def list(self, *, limit: int = 50, offset: int = 0) -> list[Upload]:
        return await self.store.uploads.list(limit=limit, offset=offset)

    async def in_messages(self, workflow_id: str, upload_id: str) -> tuple[Upload, Path] | None:
        """An upload a message of the workflow carries, and the file of its bytes; None
        when no message of the workflow carries it, or it is gone."""
        if not await self.store.messages.has_upload(workflow_id, upload_id):
            return None
        upload = await self.store.uploads.get(upload_id)
        if upload is None:
            return None
        path = upload_path(self.data_dir, upload.id)
        return (upload, path) if await asyncio.to_thread(path.is_file) else None

    async def sweep_orphans(
        self, *, older_than: float = ORPHAN_SECONDS, now: float | None = None
    ) -> int:
        """Remove what a crash between an upload's bytes and its record left behind:
        temporary files, and files no record names. Only files older than `older_than`
        seconds, so a save in progress is never touched. Returns how many were removed."""
        cutoff = (time.time() if now is None else now) - older_than
        folder = uploads_dir(self.data_dir)
        removed = 0
        for path in await asyncio.to_thread(_files_before, folder, cutoff):
            if (
                path.name.startswith(_PARTIAL_PREFIX)
                or await self.store.uploads.get(path.name) is None
            ):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    async def delete(self, upload_id: str) -> bool:
        """Forget the upload and remove its bytes; False if there is no such upload."""
        if not await self.store.uploads.delete(upload_id):
            return False
        upload_path(self.data_dir, upload_id).unlink(missing_ok=True)
        return True


class FileValues:
    """Turns the file values a caller sends into the ones the engine reads."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def resolve(self, value: Any, where: str) -> Any:
        """The engine's value for one file; `where` names the input in messages. A value
        that is not a mapping is left for the Start node to refuse."""
        if not isinstance(value, Mapping):
            return value
        if "transfer_method" in value:
            return await self._dify(value, where)
        file_id = value.get("id")
        if isinstance(file_id, str) and file_id:
            upload = await self._store.uploads.get(file_id)
            if upload is None:
                raise InvalidFileValue(f"`{where}`: there is no uploaded file {file_id}")
            # The caller's fields win over what was recorded.
            return _local(upload, _file_type(value, upload, where), "local_file") | dict(value)
        if "url" in value:
            _web_url(value.get("url"), where)
        return dict(value)

    async def resolve_many(self, values: Any, where: str) -> Any:
        if not isinstance(values, list):
            return values
        return [await self.resolve(v, f"{where}[{n}]") for n, v in enumerate(values)]

    async def _dify(self, value: Mapping[str, Any], where: str) -> dict[str, Any]:
        method = value.get("transfer_method")
        if method == "local_file":
            # `id` too: a value this class made, sent back (a run's inputs, say).
            upload_id = value.get("upload_file_id") or value.get("id")
            if not isinstance(upload_id, str) or not upload_id:
                raise InvalidFileValue(f"`{where}`: a local_file needs its `upload_file_id`")
            upload = await self._store.uploads.get(upload_id)
            if upload is None:
                raise InvalidFileValue(
                    f"`{where}`: there is no uploaded file {upload_id}"
                    " (upload it with POST /v1/files/upload first)"
                )
            return _local(upload, _file_type(value, upload, where), method)
        if method == "remote_url":
            url = value.get("url")
            parts = _web_url(url, where)
            given = value.get("name")
            name = clean_name(given) if isinstance(given, str) else ""
            name = name or _url_name(parts.path)
            mime_type = media_type(name, None) or ""
            return {
                "url": url,
                "name": name,
                "extension": _dotted(extension(name)),
                "mime_type": mime_type,
                "type": _file_type(value, None, where, name=name, mime_type=mime_type),
                "transfer_method": method,
            }
        raise InvalidFileValue(
            f"`{where}`: transfer_method {method!r} is not supported here;"
            f" use {' or '.join(TRANSFER_METHODS)}"
        )


def message_files(values: Any) -> list[dict[str, Any]]:
    """A turn's `sys.files` as its message keeps them: the fields that name and describe
    each file, not whatever else a caller's value carried."""
    if not isinstance(values, list):
        return []
    return [
        {name: value[name] for name in MESSAGE_FILE_FIELDS if name in value}
        for value in values
        if isinstance(value, Mapping)
    ]


def _web_url(url: Any, where: str) -> SplitResult:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidFileValue(f"`{where}`: a file's `url` must be an http(s) URL")
    return parts


def clean_name(name: str) -> str:
    """The file's own name: no folders (either slash), no control characters, no
    surrounding spaces, at most 200 characters with its extension kept."""
    base = re.split(r"[/\\]", name)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if base in (".", ".."):
        return ""
    if len(base) > MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = stem[: MAX_NAME - len(suffix) - 1] + dot + suffix if stem else base[:MAX_NAME]
    return base


def extension(name: str) -> str:
    """Lower case, without the dot, as Dify's upload records have it; '' without one."""
    return posixpath.splitext(name)[1].lstrip(".").lower()


def media_type(name: str, content_type: str | None) -> str | None:
    """The client's content type unless it says nothing more than "bytes", else the
    type the name's extension has; None when neither tells."""
    given = (content_type or "").strip()
    if given.split(";")[0].strip().lower() not in GENERIC_MEDIA_TYPES:
        return given
    guessed, _encoding = _TYPES.guess_type(name, strict=False)
    if guessed:
        return guessed
    return given or None


def _files_before(folder: Path, cutoff: float) -> list[Path]:
    """The plain files directly in `folder` last changed before `cutoff` (knowledge
    documents live in a folder of their own below it)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    return [
        Path(entry.path)
        for entry in entries
        if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff
    ]


def _write_new(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder renamed into place (readable
    only by its owner), flushed to disk before the record that names it is written."""
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A dot and a suffix: a name an upload id never has, so it cannot be read as one.
    handle, partial = tempfile.mkstemp(dir=folder, prefix=_PARTIAL_PREFIX, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise


def _local(upload: Upload, file_type: str, method: str) -> dict[str, Any]:
    return {
        "id": upload.id,
        "name": upload.name,
        "size": upload.size,
        "extension": _dotted(upload.extension),
        "mime_type": upload.mime_type,
        "type": file_type,
        "transfer_method": method,
    }


def _file_type(
    value: Mapping[str, Any],
    upload: Upload | None,
    where: str,
    *,
    name: str = "",
    mime_type: str = "",
) -> str:
    """The value's Dify file type; `custom` (or none given) is guessed from the extension,
    then the MIME type, as Dify does."""
    given = value.get("type") or "custom"
    if given not in FILE_TYPES:
        raise InvalidFileValue(
            f"`{where}`: file type {given!r} is not one of {', '.join(FILE_TYPES)}"
        )
    if given != "custom":
        return str(given)
    found = extension(upload.name if upload else name)
    mime_type = upload.mime_type if upload else mime_type
    for kind, extensions in (
        ("image", _IMAGE),
        ("video", _VIDEO),
        ("audio", _AUDIO),
        ("document", _DOCUMENT),
    ):
        if found in extensions:
            return kind
    for kind in ("image", "video", "audio"):
        if kind in mime_type:
            return kind
    if "text" in mime_type or "pdf" in mime_type:
        return "document"
    return "custom"


def _url_name(path: str) -> str:
    return clean_name(unquote(posixpath.basename(path))) or "unnamed file"


def _dotted(found: str) -> str:
    """Dify's file values carry the extension with its dot (`.pdf`)."""
    return f".{found}" if found else ""


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB" if size % MIB else f"{size // MIB} MiB"

"""Where uploaded files live under the data dir, and the engine's `Files` port over them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowstead.engine.ports import FileContent, HttpClient, HttpRequest

_FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class FileUnavailable(Exception):
    """A file value names no readable upload or URL; the message says which and why."""


def uploads_dir(data_dir: Path) -> Path:
    return data_dir / "uploads"


def upload_path(data_dir: Path, file_id: str) -> Path:
    """The file holding an upload's bytes; the id can never point outside the uploads dir."""
    if not _FILE_ID.match(file_id):
        raise FileUnavailable(f"not an upload id: {file_id!r}")
    return uploads_dir(data_dir) / file_id


class StoredFiles:
    """Reads uploads (`{"id": …}`) from the data dir and remote files (`{"url": …}`) over HTTP."""

    def __init__(self, data_dir: Path, http: HttpClient, max_bytes: int) -> None:
        self._data_dir = data_dir
        self._http = http
        self._max_bytes = max_bytes

    async def read(self, file: Mapping[str, Any]) -> FileContent:
        """An upload's bytes (its type is in the value already), or a remote file's with
        the Content-Type it was served with."""
        file_id, url = file.get("id"), file.get("url")
        if isinstance(file_id, str) and file_id:
            path = upload_path(self._data_dir, file_id)
            try:
                return FileContent(await asyncio.to_thread(path.read_bytes))
            except FileNotFoundError:
                raise FileUnavailable(f"upload {file_id} does not exist (any more)") from None
        if isinstance(url, str) and url:
            request = HttpRequest("GET", url, max_response_bytes=self._max_bytes)
            response = await self._http.send(request)
            if response.status >= 400:
                raise FileUnavailable(f"fetching {url} answered HTTP {response.status}")
            served = next(
                (v for k, v in response.headers.items() if k.lower() == "content-type"), ""
            )
            return FileContent(response.body, served.strip())
        raise FileUnavailable("a file value needs an `id` (an upload) or a `url`")

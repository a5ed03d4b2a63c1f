"""The records of uploaded files in SQLite (their bytes live under the data dir)."""

from __future__ import annotations

import builtins
import sqlite3

from flowstead.store import fresh
from flowstead.store.codec import to_record
from flowstead.store.errors import Conflict
from flowstead.store.records import Upload
from flowstead.store.sqlite.database import Database

_COLUMNS = "id, name, size, extension, mime_type, created_by, created_at"


class SqliteUploads:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        upload_id: str,
        *,
        name: str,
        size: int,
        extension: str = "",
        mime_type: str = "",
        created_by: str = "",
    ) -> Upload:
        upload = fresh.upload(
            upload_id,
            name=name,
            size=size,
            extension=extension,
            mime_type=mime_type,
            created_by=created_by,
        )
        try:
            await self._db.write(
                f"INSERT INTO uploads ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (upload_id, name, size, extension, mime_type, created_by, upload.created_at),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"an upload with id {upload_id} already exists") from exc
        return upload

    async def get(self, upload_id: str) -> Upload | None:
        row = await self._db.select_one(
            f"SELECT {_COLUMNS} FROM uploads WHERE id = ?", (upload_id,)
        )
        return None if row is None else to_record(Upload, row)

    async def list(self, *, limit: int = 50, offset: int = 0) -> builtins.list[Upload]:
        rows = await self._db.select(
            f"SELECT {_COLUMNS} FROM uploads ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [to_record(Upload, row) for row in rows]

    async def delete(self, upload_id: str) -> bool:
        rows = await self._db.write("DELETE FROM uploads WHERE id = ? RETURNING id", (upload_id,))
        return bool(rows)

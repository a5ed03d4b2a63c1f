"""The records of uploaded files in SurrealDB (their bytes live under the data dir)."""

from __future__ import annotations

import builtins

from flowstead.store import fresh
from flowstead.store.codec import to_record
from flowstead.store.errors import Conflict
from flowstead.store.records import Upload
from flowstead.store.surreal.database import SurrealDatabase, plain, rid


class SurrealUploads:
    def __init__(self, db: SurrealDatabase) -> None:
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
                "CREATE $id CONTENT $content RETURN NONE",
                {
                    "id": rid("upload", upload_id),
                    "content": {
                        "name": name,
                        "size": size,
                        "extension": extension,
                        "mime_type": mime_type,
                        "created_by": created_by,
                        "created_at": upload.created_at,
                    },
                },
            )
        except Conflict as exc:
            raise Conflict(f"an upload with id {upload_id} already exists") from exc
        return upload

    async def get(self, upload_id: str) -> Upload | None:
        rows = await self._db.select("SELECT * FROM $id", {"id": rid("upload", upload_id)})
        return to_record(Upload, plain(rows[0])) if rows else None

    async def list(self, *, limit: int = 50, offset: int = 0) -> builtins.list[Upload]:
        rows = await self._db.select(
            "SELECT * FROM upload ORDER BY created_at DESC, id DESC LIMIT $limit START $offset",
            {"limit": limit, "offset": offset},
        )
        return [to_record(Upload, plain(row)) for row in rows]

    async def delete(self, upload_id: str) -> bool:
        rows = await self._db.write_rows(
            "DELETE $id RETURN BEFORE", {"id": rid("upload", upload_id)}
        )
        return bool(rows)

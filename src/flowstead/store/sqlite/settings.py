"""Provider settings (secrets encrypted at rest) and instance meta values in SQLite."""

from __future__ import annotations

import builtins
import time
from typing import Any

import msgspec

from flowstead.store.codec import dumps, to_record
from flowstead.store.records import ProviderSettings
from flowstead.store.secretbox import SecretBox
from flowstead.store.sqlite.database import Database

_JSON = ("options", "secret_names")
_LISTED = "id, kind, base_url, options, secret_names, created_at, updated_at"


class SqliteProviders:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    async def put(
        self,
        provider_id: str,
        *,
        kind: str,
        base_url: str | None = None,
        secrets: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
    ) -> ProviderSettings:
        secrets = secrets or {}
        now = time.time()
        rows = await self._db.write(
            "INSERT INTO providers (id, kind, base_url, options, secrets, secret_names,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind,"
            " base_url = excluded.base_url, options = excluded.options,"
            " secrets = excluded.secrets, secret_names = excluded.secret_names,"
            f" updated_at = excluded.updated_at RETURNING {_LISTED}",
            (
                provider_id,
                kind,
                base_url,
                dumps(options or {}),
                self._box.encrypt(secrets),
                dumps(sorted(secrets)),
                now,
                now,
            ),
        )
        return msgspec.structs.replace(to_record(ProviderSettings, rows[0], _JSON), secrets=secrets)

    async def get(self, provider_id: str) -> ProviderSettings | None:
        row = await self._db.select_one(
            f"SELECT {_LISTED}, secrets AS sealed FROM providers WHERE id = ?", (provider_id,)
        )
        if row is None:
            return None
        return msgspec.structs.replace(
            to_record(ProviderSettings, row, _JSON), secrets=self._box.decrypt(row["sealed"])
        )

    async def list(self) -> builtins.list[ProviderSettings]:
        rows = await self._db.select(f"SELECT {_LISTED} FROM providers ORDER BY id")
        return [to_record(ProviderSettings, row, _JSON) for row in rows]

    async def delete(self, provider_id: str) -> bool:
        rows = await self._db.write(
            "DELETE FROM providers WHERE id = ? RETURNING id", (provider_id,)
        )
        return bool(rows)


class SqliteMeta:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        row = await self._db.select_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def set(self, key: str, value: str) -> None:
        await self._db.write(
            "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (key, value, time.time()),
        )

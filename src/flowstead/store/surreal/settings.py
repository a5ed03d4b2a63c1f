"""Provider settings (secrets encrypted at rest) and instance meta values in SurrealDB."""

from __future__ import annotations

import builtins
import time
from typing import Any

import msgspec

from flowstead.store.codec import dumps, to_record
from flowstead.store.records import ProviderSettings
from flowstead.store.secretbox import SecretBox
from flowstead.store.surreal.database import SurrealDatabase, plain, rid

_JSON = ("options", "secret_names")


def _listed(row: dict[str, Any]) -> ProviderSettings:
    """The settings without secret values (`sealed` holds them encrypted)."""
    return to_record(ProviderSettings, plain(row), _JSON)


class SurrealProviders:
    def __init__(self, db: SurrealDatabase, box: SecretBox) -> None:
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
        rows = await self._db.write_rows(
            "UPSERT $id SET kind = $kind, base_url = $base_url, options = $options,"
            " sealed = $sealed, secret_names = $secret_names,"
            " created_at = created_at ?? $now, updated_at = $now RETURN AFTER",
            {
                "id": rid("provider", provider_id),
                "kind": kind,
                "base_url": base_url,
                "options": dumps(options or {}),
                "sealed": self._box.encrypt(secrets),
                "secret_names": dumps(sorted(secrets)),
                "now": time.time(),
            },
        )
        return msgspec.structs.replace(_listed(rows[0]), secrets=secrets)

    async def get(self, provider_id: str) -> ProviderSettings | None:
        rows = await self._db.select("SELECT * FROM $id", {"id": rid("provider", provider_id)})
        if not rows:
            return None
        return msgspec.structs.replace(
            _listed(rows[0]), secrets=self._box.decrypt(rows[0]["sealed"])
        )

    async def list(self) -> builtins.list[ProviderSettings]:
        rows = await self._db.select("SELECT * OMIT sealed FROM provider ORDER BY id")
        return [_listed(row) for row in rows]

    async def delete(self, provider_id: str) -> bool:
        rows = await self._db.write_rows(
            "DELETE $id RETURN BEFORE", {"id": rid("provider", provider_id)}
        )
        return bool(rows)


class SurrealMeta:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        rows = await self._db.select("SELECT VALUE value FROM $id", {"id": rid("meta", key)})
        return str(rows[0]) if rows else None

    async def set(self, key: str, value: str) -> None:
        await self._db.write(
            "UPSERT $id SET value = $value, updated_at = $now RETURN NONE",
            {"id": rid("meta", key), "value": value, "now": time.time()},
        )

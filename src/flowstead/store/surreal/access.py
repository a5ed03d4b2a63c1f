"""Per-workflow app keys and admin tokens in SurrealDB, stored as SHA-256 hashes."""

from __future__ import annotations

import builtins
import time
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import to_record
from flowstead.store.records import AdminToken, ApiKey
from flowstead.store.surreal.database import SurrealDatabase, plain, rid
from flowstead.store.tokens import hash_token

_CREATE_KEY = """
IF !record::exists(type::thing('workflow', $content.workflow_id)) {
    THROW 'not_found:workflow:' + $content.workflow_id;
};
CREATE $id CONTENT $content RETURN NONE;
RETURN NONE;
"""


class SurrealApiKeys:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def create(self, workflow_id: str, name: str = "") -> tuple[ApiKey, str]:
        key, plaintext = fresh.api_key(workflow_id=workflow_id, name=name)
        await self._db.transaction(
            _CREATE_KEY,
            {
                "id": rid("api_key", key.id),
                "content": {
                    "workflow_id": workflow_id,
                    "name": name,
                    "prefix": key.prefix,
                    "key_hash": hash_token(plaintext),
                    "created_at": key.created_at,
                },
            },
        )
        return key, plaintext

    async def verify(self, plaintext: str) -> ApiKey | None:
        rows = await self._db.select(
            "SELECT * OMIT key_hash FROM api_key WHERE key_hash = $hash AND revoked_at = NONE",
            {"hash": hash_token(plaintext)},
        )
        return to_record(ApiKey, plain(rows[0])) if rows else None

    async def list(self, workflow_id: str) -> builtins.list[ApiKey]:
        rows = await self._db.select(
            "SELECT * OMIT key_hash FROM api_key WHERE workflow_id = $workflow_id"
            " ORDER BY created_at, id",
            {"workflow_id": workflow_id},
        )
        return [to_record(ApiKey, plain(row)) for row in rows]

    async def revoke(self, key_id: str) -> bool:
        return await _revoke(self._db, rid("api_key", key_id))


class SurrealAdminTokens:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def create(self, name: str = "") -> tuple[AdminToken, str]:
        token, plaintext = fresh.admin_token(name=name)
        await self._db.write(
            "CREATE $id CONTENT $content RETURN NONE",
            {
                "id": rid("admin_token", token.id),
                "content": {
                    "name": name,
                    "prefix": token.prefix,
                    "token_hash": hash_token(plaintext),
                    "created_at": token.created_at,
                },
            },
        )
        return token, plaintext

    async def verify(self, plaintext: str) -> AdminToken | None:
        # Look before writing, so a flood of wrong tokens never takes the write lock.
        found = await self._db.select(
            "SELECT VALUE id FROM admin_token WHERE token_hash = $hash AND revoked_at = NONE",
            {"hash": hash_token(plaintext)},
        )
        if not found:
            return None
        rows = await self._db.write_rows(
            "UPDATE $id SET last_used_at = $now WHERE revoked_at = NONE RETURN AFTER",
            {"id": found[0], "now": time.time()},
        )
        return to_record(AdminToken, plain(rows[0])) if rows else None

    async def list(self) -> builtins.list[AdminToken]:
        rows = await self._db.select(
            "SELECT * OMIT token_hash FROM admin_token ORDER BY created_at, id"
        )
        return [to_record(AdminToken, plain(row)) for row in rows]

    async def revoke(self, token_id: str) -> bool:
        return await _revoke(self._db, rid("admin_token", token_id))


async def _revoke(db: SurrealDatabase, record: Any) -> bool:
    rows = await db.write_rows(
        "UPDATE $id SET revoked_at = revoked_at ?? $now RETURN VALUE id",
        {"id": record, "now": time.time()},
    )
    return bool(rows)

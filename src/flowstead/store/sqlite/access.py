"""Per-workflow app keys and admin tokens in SQLite, stored as SHA-256 hashes."""

from __future__ import annotations

import builtins
import sqlite3
import time

from flowstead.store import fresh
from flowstead.store.codec import to_record
from flowstead.store.errors import NotFound
from flowstead.store.records import AdminToken, ApiKey
from flowstead.store.sqlite.database import Database
from flowstead.store.tokens import hash_token

_API_KEY_COLUMNS = "id, workflow_id, name, prefix, created_at, revoked_at"
_ADMIN_TOKEN_COLUMNS = "id, name, prefix, created_at, last_used_at, revoked_at"
_VALID_TOKEN = "SELECT 1 FROM admin_tokens WHERE token_hash = ? AND revoked_at IS NULL"


class SqliteApiKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, workflow_id: str, name: str = "") -> tuple[ApiKey, str]:
        key, plaintext = fresh.api_key(workflow_id=workflow_id, name=name)
        try:
            await self._db.write(
                "INSERT INTO api_keys (id, workflow_id, name, prefix, key_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key.id, workflow_id, name, key.prefix, hash_token(plaintext), key.created_at),
            )
        except sqlite3.IntegrityError as exc:
            raise NotFound("workflow", workflow_id) from exc
        return key, plaintext

    async def verify(self, plaintext: str) -> ApiKey | None:
        row = await self._db.select_one(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            (hash_token(plaintext),),
        )
        return None if row is None else to_record(ApiKey, row)

    async def list(self, workflow_id: str) -> builtins.list[ApiKey]:
        rows = await self._db.select(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE workflow_id = ?"
            " ORDER BY created_at, id",
            (workflow_id,),
        )
        return [to_record(ApiKey, row) for row in rows]

    async def revoke(self, key_id: str) -> bool:
        rows = await self._db.write(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING id",
            (time.time(), key_id),
        )
        return bool(rows)


class SqliteAdminTokens:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, name: str = "") -> tuple[AdminToken, str]:
        token, plaintext = fresh.admin_token(name=name)
        await self._db.write(
            "INSERT INTO admin_tokens (id, name, prefix, token_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (token.id, name, token.prefix, hash_token(plaintext), token.created_at),
        )
        return token, plaintext

    async def verify(self, plaintext: str) -> AdminToken | None:
        token_hash = hash_token(plaintext)
        # Look before writing, so a flood of wrong tokens never takes the write lock.
        if await self._db.select_one(_VALID_TOKEN, (token_hash,)) is None:
            return None
        rows = await self._db.write(
            f"UPDATE admin_tokens SET last_used_at = ? WHERE token_hash = ?"
            f" AND revoked_at IS NULL RETURNING {_ADMIN_TOKEN_COLUMNS}",
            (time.time(), token_hash),
        )
        return to_record(AdminToken, rows[0]) if rows else None

    async def list(self) -> builtins.list[AdminToken]:
        rows = await self._db.select(
            f"SELECT {_ADMIN_TOKEN_COLUMNS} FROM admin_tokens ORDER BY created_at, id"
        )
        return [to_record(AdminToken, row) for row in rows]

    async def revoke(self, token_id: str) -> bool:
        rows = await self._db.write(
            "UPDATE admin_tokens SET revoked_at = coalesce(revoked_at, ?)"
            " WHERE id = ? RETURNING id",
            (time.time(), token_id),
        )
        return bool(rows)

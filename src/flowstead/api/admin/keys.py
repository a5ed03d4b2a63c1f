"""`/api/workflows/{id}/keys` (app keys for `/v1/*`) and `/api/tokens` (admin tokens)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody

from flowstead.api.admin.schemas import CreatedAdminToken, CreatedApiKey, KeyCreate
from flowstead.api.deps import StoreDep
from flowstead.services import keys
from flowstead.store.records import AdminToken, ApiKey


class AppKeyController(Controller):
    path = "/workflows/{workflow_id:str}/keys"
    tags = ("app keys",)

    @post("/", summary="Create an app key; its plaintext is shown in this answer only")
    async def create_key(
        self, workflow_id: FromPath[str], store: StoreDep, data: JSONBody[KeyCreate | None] = None
    ) -> CreatedApiKey:
        key, plaintext = await keys.create_app_key(store, workflow_id, data.name if data else "")
        return CreatedApiKey.of(key, plaintext)

    @get("/", summary="The workflow's app keys (prefixes only)")
    async def list_keys(self, workflow_id: FromPath[str], store: StoreDep) -> list[ApiKey]:
        return await keys.app_keys(store, workflow_id)

    @delete("/{key_id:str}", summary="Revoke an app key")
    async def revoke_key(
        self, workflow_id: FromPath[str], key_id: FromPath[str], store: StoreDep
    ) -> None:
        await keys.revoke_app_key(store, workflow_id, key_id)


class AdminTokenController(Controller):
    path = "/tokens"
    tags = ("admin tokens",)

    @post("/", summary="Create an admin token; its plaintext is shown in this answer only")
    async def create_token(
        self, store: StoreDep, data: JSONBody[KeyCreate | None] = None
    ) -> CreatedAdminToken:
        token, plaintext = await keys.create_admin_token(store, data.name if data else "")
        return CreatedAdminToken.of(token, plaintext)

    @get("/", summary="Admin tokens (prefixes only)")
    async def list_tokens(self, store: StoreDep) -> list[AdminToken]:
        return await keys.admin_tokens(store)

    @delete("/{token_id:str}", summary="Revoke an admin token")
    async def revoke_token(self, token_id: FromPath[str], store: StoreDep) -> None:
        await keys.revoke_admin_token(store, token_id)

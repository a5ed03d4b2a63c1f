"""App keys (one set per workflow, for `/v1/*`) and admin tokens (for `/api/*`).

Plaintexts are returned once, at creation; the store keeps only hashes.
"""

from __future__ import annotations

import logging

from flowstead.store.errors import NotFound
from flowstead.store.protocol import Store
from flowstead.store.records import AdminToken, ApiKey

log = logging.getLogger("flowstead.keys")


async def create_app_key(store: Store, workflow_id: str, name: str = "") -> tuple[ApiKey, str]:
    if await store.workflows.get(workflow_id) is None:
        raise NotFound("workflow", workflow_id)
    key, plaintext = await store.api_keys.create(workflow_id, name)
    log.info("app key created", extra={"workflow_id": workflow_id, "key_id": key.id})
    return key, plaintext


async def app_keys(store: Store, workflow_id: str) -> list[ApiKey]:
    if await store.workflows.get(workflow_id) is None:
        raise NotFound("workflow", workflow_id)
    return await store.api_keys.list(workflow_id)


async def revoke_app_key(store: Store, workflow_id: str, key_id: str) -> None:
    """Revoke a key of this workflow; a key of another workflow is not found here."""
    if not any(key.id == key_id for key in await app_keys(store, workflow_id)):
        raise NotFound("app key", key_id)
    await store.api_keys.revoke(key_id)
    log.info("app key revoked", extra={"workflow_id": workflow_id, "key_id": key_id})


async def create_admin_token(store: Store, name: str = "") -> tuple[AdminToken, str]:
    token, plaintext = await store.admin_tokens.create(name)
    log.info("admin token created", extra={"token_id": token.id})
    return token, plaintext


async def admin_tokens(store: Store) -> list[AdminToken]:
    return await store.admin_tokens.list()


async def revoke_admin_token(store: Store, token_id: str) -> None:
    if not await store.admin_tokens.revoke(token_id):
        raise NotFound("admin token", token_id)
    log.info("admin token revoked", extra={"token_id": token_id})

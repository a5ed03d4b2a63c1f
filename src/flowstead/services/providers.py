"""Model providers: their settings (the API key encrypted at rest), a connection test and
the models they offer. Listings never carry secrets."""

from __future__ import annotations

import logging
from typing import Any

from flowstead.engine.ports import LLMError
from flowstead.providers.config import ProviderKind
from flowstead.providers.router import ProviderCheck, ProviderRouter
from flowstead.services.collaborators import API_KEY
from flowstead.store.errors import NotFound
from flowstead.store.protocol import Store
from flowstead.store.records import ProviderSettings

log = logging.getLogger("flowstead.providers")


def _listed(settings: ProviderSettings) -> ProviderSettings:
    """The settings without secret values (`secret_names` still says which are set)."""
    return ProviderSettings(
        id=settings.id,
        kind=settings.kind,
        base_url=settings.base_url,
        options=settings.options,
        secret_names=sorted(settings.secret_names or settings.secrets),
        created_at=settings.created_at,
        updated_at=settings.updated_at,
    )


async def put(
    store: Store,
    provider_id: str,
    *,
    kind: ProviderKind,
    base_url: str | None = None,
    api_key: str | None = None,
    options: dict[str, Any] | None = None,
) -> ProviderSettings:
    """Add or update a provider. Without `api_key` an update keeps the key it had."""
    secrets: dict[str, str] = {}
    if api_key:
        secrets[API_KEY] = api_key
    else:
        existing = await store.providers.get(provider_id)
        if existing is not None and API_KEY in existing.secrets:
            secrets[API_KEY] = existing.secrets[API_KEY]
    saved = await store.providers.put(
        provider_id, kind=kind, base_url=base_url, secrets=secrets, options=options
    )
    log.info("provider saved", extra={"provider_id": provider_id, "kind": kind})
    return _listed(saved)


async def listed(store: Store) -> list[ProviderSettings]:
    return [_listed(p) for p in await store.providers.list()]


async def get(store: Store, provider_id: str) -> ProviderSettings:
    found = await store.providers.get(provider_id)
    if found is None:
        raise NotFound("provider", provider_id)
    return _listed(found)


async def delete(store: Store, provider_id: str) -> None:
    if not await store.providers.delete(provider_id):
        raise NotFound("provider", provider_id)


async def test(store: Store, router: ProviderRouter, provider_id: str) -> ProviderCheck:
    await get(store, provider_id)
    return await router.test(provider_id)


async def models(store: Store, router: ProviderRouter, provider_id: str) -> list[str]:
    """The provider's models; raises `LLMError` when the provider cannot be reached."""
    await get(store, provider_id)
    return await router.list_models(provider_id)


__all__ = ["LLMError", "delete", "get", "listed", "models", "put", "test"]

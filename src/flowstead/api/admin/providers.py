"""`/api/providers`: model provider settings, a connection test, the models offered."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, JSONBody

from flowstead.api.deps import RouterDep, StoreDep
from flowstead.providers.config import ProviderKind
from flowstead.providers.router import ProviderCheck
from flowstead.services import providers
from flowstead.store.records import ProviderSettings


class ProviderPut(msgspec.Struct, kw_only=True):
    kind: ProviderKind
    base_url: str | None = None
    # Write-only; left out on an update, the stored key is kept.
    api_key: str | None = None
    options: dict[str, Any] = {}


class ModelList(msgspec.Struct):
    models: list[str]


class ProviderController(Controller):
    path = "/providers"
    tags = ("providers",)

    @put("/{provider_id:str}", summary="Add or update a provider (the API key is write-only)")
    async def save(
        self, provider_id: FromPath[str], data: JSONBody[ProviderPut], store: StoreDep
    ) -> ProviderSettings:
        return await providers.put(
            store,
            provider_id,
            kind=data.kind,
            base_url=data.base_url,
            api_key=data.api_key,
            options=data.options,
        )

    @get("/", summary="Configured providers, without secrets")
    async def list_providers(self, store: StoreDep) -> list[ProviderSettings]:
        return await providers.listed(store)

    @get("/{provider_id:str}", summary="One provider, without secrets")
    async def get_provider(self, provider_id: FromPath[str], store: StoreDep) -> ProviderSettings:
        return await providers.get(store, provider_id)

    @delete("/{provider_id:str}", summary="Remove a provider")
    async def delete_provider(self, provider_id: FromPath[str], store: StoreDep) -> None:
        await providers.delete(store, provider_id)

    @post("/{provider_id:str}/test", status_code=200, summary="Check the connection")
    async def test(
        self, provider_id: FromPath[str], store: StoreDep, router: RouterDep
    ) -> ProviderCheck:
        return await providers.test(store, router, provider_id)

    @get("/{provider_id:str}/models", summary="The models the provider offers")
    async def models(
        self, provider_id: FromPath[str], store: StoreDep, router: RouterDep
    ) -> ModelList:
        return ModelList(await providers.models(store, router, provider_id))

"""The engine's collaborators as one process provides them to every run it executes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import msgspec

from flowstead.engine.collaborators import Collaborators, SystemClock
from flowstead.engine.ports import LLMError, Retriever
from flowstead.engine.tools import ToolSettings
from flowstead.knowledge.embedding import embedders
from flowstead.knowledge.retrieval import KnowledgeRetriever
from flowstead.providers.config import ProviderConfig
from flowstead.providers.http import HttpxHttpClient
from flowstead.providers.router import ProviderRouter
from flowstead.sandbox import ProcessCodeRunner
from flowstead.services.files import StoredFiles
from flowstead.store.protocol import Store

# The name under which a provider's settings keep its API key.
API_KEY = "api_key"
DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "ollama": "http://127.0.0.1:11434",
}


class StoredProviders:
    """Provider settings read from the store at every request, so a rotated key applies at once."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def config(self, provider_id: str) -> ProviderConfig | None:
        settings = await self._store.providers.get(provider_id)
        if settings is None:
            return None
        raw = {
            "id": settings.id,
            "kind": settings.kind,
            "base_url": settings.base_url or DEFAULT_BASE_URLS.get(settings.kind, ""),
            "api_key_secret": f"{provider_id}/{API_KEY}" if API_KEY in settings.secrets else None,
            "options": settings.options,
        }
        try:
            return msgspec.convert(raw, ProviderConfig)
        except msgspec.ValidationError as exc:
            raise LLMError(provider_id, "", f"the provider's settings are invalid: {exc}") from None

    async def secret(self, name: str) -> str | None:
        provider_id, _, key = name.rpartition("/")
        settings = await self._store.providers.get(provider_id)
        return None if settings is None else settings.secrets.get(key)


@asynccontextmanager
async def open_collaborators(
    store: Store,
    data_dir: Path,
    *,
    max_file_bytes: int,
    retriever: Retriever | None = None,
    tool_settings: ToolSettings | None = None,
) -> AsyncIterator[Collaborators]:
    """Pooled HTTP clients for the block; closed when it ends. `tool_settings` say where
    the built-in tools find SearXNG and Wikipedia (the instance's settings)."""
    providers = StoredProviders(store)
    async with (
        ProviderRouter(providers.config, providers.secret) as router,
        HttpxHttpClient() as http,
    ):
        yield Collaborators(
            llm=router,
            http=http,
            code=ProcessCodeRunner(),
            retriever=retriever or KnowledgeRetriever(store, embedders(router)),
            files=StoredFiles(data_dir, http, max_file_bytes),
            clock=SystemClock(),
            tool_settings=tool_settings or ToolSettings(),
        )

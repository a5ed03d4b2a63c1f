"""Text to vectors: the built-in offline model, or an embedding model of a provider.

The built-in model is `tokenlearn-static-model`: a static (Model2Vec-style) embedder with
a 10k-token vocabulary and 64 int8 dimensions baked into the package, run by a small Rust
extension. It needs no download, no torch and no other Python package. It has wheels for
Linux x86_64 only: elsewhere, knowledge bases on the built-in model search full-text only.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Sequence
from typing import Protocol

from flowstead.store.records import KnowledgeBase

BUILTIN_MODEL = "tokenlearn-static-10k-64d"


class Embedder(Protocol):
    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...


class ProviderEmbeddings(Protocol):
    """What the provider router offers for embeddings."""

    async def embed(self, provider_id: str, model: str, texts: list[str]) -> list[list[float]]: ...


class BuiltinEmbedder:
    """The offline model; encoding runs on a thread (it is CPU work)."""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(_encode, list(texts))


def _encode(texts: list[str]) -> list[list[float]]:
    from static_model import get_embeddings

    # Each text is read up to its 512th token.
    vectors: list[list[float]] = get_embeddings(texts)
    return vectors


class ProviderEmbedder:
    """An OpenAI-compatible or Ollama embedding model, through the provider router."""

    def __init__(self, router: ProviderEmbeddings, provider: str, model: str) -> None:
        self._router = router
        self._provider = provider
        self._model = model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._router.embed(self._provider, self._model, list(texts))


EmbedderFor = Callable[[KnowledgeBase], Embedder | None]
"""The embedder of a knowledge base; None: no vectors, it is searched full-text only."""


def builtin_available() -> bool:
    """Whether the built-in model's package is installed (it has no wheel for every platform)."""
    return importlib.util.find_spec("static_model") is not None


def embedders(router: ProviderEmbeddings) -> EmbedderFor:
    """Built-in for knowledge bases without a provider (None if it is not installed); the
    provider's model otherwise."""
    builtin = BuiltinEmbedder() if builtin_available() else None

    def embedder_for(kb: KnowledgeBase) -> Embedder | None:
        if kb.embedding_provider is None:
            return builtin
        return ProviderEmbedder(router, kb.embedding_provider, kb.embedding_model or "")

    return embedder_for


def model_key(kb: KnowledgeBase) -> tuple[str | None, str]:
    """Knowledge bases with the same key embed the same way (one query vector serves all)."""
    if kb.embedding_provider is None:
        return None, BUILTIN_MODEL
    return kb.embedding_provider, kb.embedding_model or ""

"""Text to vectors: the built-in offline model, or an embedding model of a provider.

The built-in model is `tokenlearn-static-model`: a static (Model2Vec-style) embedder with
a 10k-token vocabulary and 64 int8 dimensions baked into the package, run by a small Rust
extension. It needs no download, no torch and no other Python package.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

from flowstead.store.records import KnowledgeBase

BUILTIN_MODEL = "tokenlearn-static-10k-64d"


class EmbeddingError(Exception):
    """An embedding model cannot be used at all (not a passing failure)."""


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
    try:
        from static_model import get_embeddings
    except ImportError as exc:
        raise EmbeddingError(
            "the built-in embedding model needs the tokenlearn-static-model package"
        ) from exc
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


EmbedderFor = Callable[[KnowledgeBase], Embedder]
"""The embedder of a knowledge base."""


def embedders(router: ProviderEmbeddings) -> EmbedderFor:
    """Built-in for knowledge bases without a provider; the provider's model otherwise."""
    builtin = BuiltinEmbedder()

    def embedder_for(kb: KnowledgeBase) -> Embedder:
        if kb.embedding_provider is None:
            return builtin
        return ProviderEmbedder(router, kb.embedding_provider, kb.embedding_model or "")

    return embedder_for


def model_key(kb: KnowledgeBase) -> tuple[str | None, str]:
    """Knowledge bases with the same key embed the same way (one query vector serves all)."""
    if kb.embedding_provider is None:
        return None, BUILTIN_MODEL
    return kb.embedding_provider, kb.embedding_model or ""

from __future__ import annotations

from flowstead.knowledge.retrieval import (
    BUILTIN_VECTOR_WEIGHT,
    PROVIDER_VECTOR_WEIGHT,
    vector_weight,
)
from flowstead.store.records import KnowledgeBase, RetrievalSettings


def kb(provider: str | None = None, weight: float | None = None) -> KnowledgeBase:
    return KnowledgeBase(
        id="kb",
        name="kb",
        embedding_provider=provider,
        embedding_model="nomic-embed-text" if provider else None,
        retrieval=RetrievalSettings(vector_weight=weight),
        created_at=0.0,
        updated_at=0.0,
    )


def test_the_vectors_share_follows_the_model_unless_the_knowledge_base_sets_it() -> None:
    assert vector_weight(kb()) == BUILTIN_VECTOR_WEIGHT
    assert vector_weight(kb("ollama")) == PROVIDER_VECTOR_WEIGHT == 0.5
    assert vector_weight(kb(weight=0.3)) == 0.3
    assert vector_weight(kb("ollama", weight=0.0)) == 0.0

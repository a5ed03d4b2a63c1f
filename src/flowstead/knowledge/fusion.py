"""Reciprocal rank fusion: rankings from different methods combined by rank alone.

A result ranked r (from 1) in a list earns 1 / (k + r) from it; scores of a result in
several lists add up. Raw scores (BM25, cosine) are not comparable across methods, ranks
are. The fused score is scaled so that first place in every list scores 1.0.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = 60

T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[T]], *, lists_per_item: int, k: int = K
) -> dict[T, float]:
    """Item → fused score in 0…1, where 1 means first in `lists_per_item` lists (the most
    lists one item can appear in)."""
    fused: dict[T, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    best = lists_per_item / (k + 1)
    return {item: score / best for item, score in fused.items()}

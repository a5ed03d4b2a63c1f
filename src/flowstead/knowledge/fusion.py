"""Weighted reciprocal rank fusion: rankings from different methods combined by rank.

A result ranked r (from 1) in a list earns weight / (k + r) from it; scores of a result in
several lists add up. Raw scores (BM25, cosine) are not comparable across methods, ranks
are, and a weight says how much a method's ranking is trusted. The fused score is scaled
so that first place in lists whose weights add up to 1 scores 1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

K = 60

T = TypeVar("T", bound=Hashable)

Weight = Callable[[T], float]
"""A method's weight for one item (items of different knowledge bases may differ)."""


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Sequence[T], Weight[T]]], *, k: int = K
) -> dict[T, float]:
    """Item → Σ weight × (k + 1) / (k + rank) over the (ranking, weight) pairs it is in."""
    fused: dict[T, float] = {}
    for ranking, weight in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight(item) * (k + 1) / (k + rank)
    return fused

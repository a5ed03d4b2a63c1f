from __future__ import annotations

import pytest

from flowstead.knowledge.fusion import K, reciprocal_rank_fusion


def half(item: str) -> float:
    return 0.5


def whole(item: str) -> float:
    return 1.0


def test_first_in_lists_whose_weights_add_up_to_one_scores_one() -> None:
    fused = reciprocal_rank_fusion([(["a", "b"], half), (["a", "c"], half)])

    assert fused["a"] == pytest.approx(1.0)
    assert fused["b"] == pytest.approx(fused["c"])
    assert fused["b"] == pytest.approx(0.5 * (K + 1) / (K + 2))


def test_agreement_beats_a_single_first_place_at_even_weights() -> None:
    fused = reciprocal_rank_fusion([(["x", "both"], half), (["both", "y"], half)])

    assert fused["both"] > fused["x"] > fused["y"] * 0.999


def test_one_list_scales_to_its_own_first_place() -> None:
    fused = reciprocal_rank_fusion([(["a", "b", "c"], whole)])

    assert fused["a"] == pytest.approx(1.0)
    assert fused["a"] > fused["b"] > fused["c"]
    assert reciprocal_rank_fusion([]) == {}


def test_a_small_weight_breaks_ties_and_fills_in_without_reordering() -> None:
    """At 0.01 a list's first place is worth less than one rank near the top of the other."""
    text = (["t1", "t2", "t3"], lambda item: 0.99)
    vectors = (["t3", "v1", "t2"], lambda item: 0.01)

    fused = reciprocal_rank_fusion([text, vectors])

    assert sorted(fused, key=lambda item: -fused[item]) == ["t1", "t2", "t3", "v1"]
    assert fused["v1"] == pytest.approx(0.01 * (K + 1) / (K + 2))


def test_weights_can_differ_by_item() -> None:
    fused = reciprocal_rank_fusion([(["a", "b"], lambda item: 0.0 if item == "a" else 1.0)])

    assert fused == {"a": 0.0, "b": pytest.approx((K + 1) / (K + 2))}

from __future__ import annotations

import pytest

from flowstead.knowledge.fusion import K, reciprocal_rank_fusion


def test_first_in_every_list_scores_one() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["a", "c"]], lists_per_item=2)

    assert fused["a"] == pytest.approx(1.0)
    assert fused["b"] == pytest.approx(fused["c"])
    assert fused["b"] == pytest.approx((1 / (K + 2)) / (2 / (K + 1)))


def test_agreement_beats_a_single_first_place() -> None:
    fused = reciprocal_rank_fusion([["x", "both"], ["both", "y"]], lists_per_item=2)

    assert fused["both"] > fused["x"] > fused["y"] * 0.999


def test_one_list_scales_to_its_own_first_place() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"]], lists_per_item=1)

    assert fused["a"] == pytest.approx(1.0)
    assert fused["a"] > fused["b"] > fused["c"]
    assert reciprocal_rank_fusion([], lists_per_item=2) == {}

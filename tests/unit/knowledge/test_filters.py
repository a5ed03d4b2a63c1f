from __future__ import annotations

import pytest

from flowstead.knowledge.filters import FilterError, metadata_filters


def test_values_become_lists_of_allowed_values() -> None:
    assert metadata_filters({"lang": "en", "page": [1, 2], "draft": False}) == {
        "lang": ["en"],
        "page": [1, 2],
        "draft": [False],
    }
    assert metadata_filters({}) is None
    assert metadata_filters(None) is None


@pytest.mark.parametrize(
    "raw",
    [{"": "x"}, {'say "hi"': 1}, {"nested": {"a": 1}}, {"list": [1, [2]]}, {"none": None}],
)
def test_shapes_that_cannot_filter_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(FilterError):
        metadata_filters(raw)

"""Metadata filters as people write them (`{"lang": "en", "page": [1, 2]}`), checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowstead.store.protocol import MetadataFilters, Scalar


class FilterError(ValueError):
    """A filter is not a mapping of keys to a value or a list of values."""


def metadata_filters(raw: Mapping[str, Any] | None) -> MetadataFilters | None:
    """Each key's allowed values as a list; a chunk matches when every key matches."""
    if not raw:
        return None
    checked: dict[str, list[Scalar]] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key or '"' in key:
            raise FilterError(f"a metadata filter key must be a name, not {key!r}")
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float | bool) for v in values):
            raise FilterError(
                f"metadata filter {key!r}: a value must be text, a number or true/false"
                " (or a list of them)"
            )
        checked[key] = values
    return checked

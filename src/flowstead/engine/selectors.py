"""Selectors: dotted paths that pick one value, e.g. `llm.text`, `sys.query`, `agg.g1.output`.

Where a template renders text, a selector keeps the value's type (a list stays a list).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Missing(LookupError):
    """The selector names a value that does not exist (yet)."""


def split(selector: str) -> list[str]:
    parts = [p for p in selector.strip().split(".") if p]
    if not parts:
        raise ValueError("empty selector")
    return parts


def lookup(namespace: Mapping[str, Any], selector: str) -> Any:
    """Follow `selector` through nested mappings (and list indices given as numbers)."""
    value: Any = namespace
    for part in split(selector):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise Missing(f"no value at `{selector}`")
    return value

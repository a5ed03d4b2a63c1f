"""Conditions shared by if/else cases, loop break conditions and list filters."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Operator = Literal[
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "is",
    "is_not",
    "empty",
    "not_empty",
    "in",
    "not_in",
    "all_of",
    "=",
    "!=",
    ">",
    "<",
    ">=",
    "<=",
    "null",
    "not_null",
    "exists",
    "not_exists",
]
UNARY: frozenset[str] = frozenset(
    {"empty", "not_empty", "null", "not_null", "exists", "not_exists"}
)


class Condition(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """`variable` is a selector (for list filters: a key of each item, or "" for the item
    itself); `value` is a literal, or a template string rendered before comparing."""

    variable: str
    op: Operator
    value: Any = None


Combine = Literal["and", "or"]

"""List operator: filter, sort, limit and pick items of a list."""

from __future__ import annotations

from typing import Literal

import msgspec

from flowstead.engine.conditions import Combine, Condition
from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class Filter(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # Each condition's `variable` is a key of the item ("" for the item itself).
    conditions: list[Condition] = []
    operator: Combine = "and"


class Sort(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    key: str = ""
    order: Literal["asc", "desc"] = "asc"


class ListOperatorConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # A selector of the list.
    variable: str = ""
    filter: Filter | None = None
    sort: Sort | None = None
    limit: int | None = None
    # 1-based position of one item to extract; -1 for the last.
    extract: int | None = None


SPEC = NodeSpec(
    type="list_operator",
    label="List operator",
    config=ListOperatorConfig,
    run=not_implemented,
    outputs=lambda c: {"result": "array", "first_record": "any", "last_record": "any"},
    category="transform",
)

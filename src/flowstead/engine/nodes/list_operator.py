"""List operator: filter, pick one item, sort and limit a list (in Dify's order)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import msgspec

from flowstead.engine import selectors
from flowstead.engine.conditions import Combine, Condition, ConditionError, check
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.templates import TemplateError


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


async def run(config: ListOperatorConfig, ctx: NodeContext) -> NodeResult:
    try:
        items = ctx.resolve(config.variable)
    except selectors.Missing as exc:
        return NodeResult.fail(str(exc))
    if items is None or items == []:
        # As Dify does: nothing to operate on is an empty result, whatever the settings.
        return NodeResult.ok({"result": [], "first_record": None, "last_record": None})
    if not isinstance(items, list):
        return NodeResult.fail(f"`{config.variable}` is a {type(items).__name__}, not a list")
    result = list(items)
    if config.filter is not None and config.filter.conditions:
        conditions, combine = config.filter.conditions, config.filter.operator
        try:
            result = [i for i in result if check(conditions, combine, _reader(i), ctx.render)]
        except (ConditionError, TemplateError) as exc:
            return NodeResult.fail(f"filter: {exc}")
    if config.extract is not None:
        position = config.extract
        index = position - 1 if position > 0 else position
        if position == 0 or not -len(result) <= index < len(result):
            return NodeResult.fail(f"no item at position {position} of {len(result)}")
        result = [result[index]]
    if config.sort is not None:
        key = config.sort.key
        try:
            result.sort(
                key=lambda item: _sort_key(_reader(item)(key)), reverse=config.sort.order == "desc"
            )
        except TypeError:
            return NodeResult.fail(f"cannot sort: the values of `{key or 'item'}` differ in type")
    if config.limit is not None:
        result = result[: max(config.limit, 0)]
    return NodeResult.ok(
        {
            "result": result,
            "first_record": result[0] if result else None,
            "last_record": result[-1] if result else None,
        }
    )


def _reader(item: Any) -> Callable[[str], Any]:
    def read(key: str) -> Any:
        if not key:
            return item
        if not isinstance(item, Mapping):
            return None
        try:
            return selectors.lookup(item, key)
        except selectors.Missing:
            return None

    return read


def _sort_key(value: Any) -> tuple[bool, Any]:
    # None sorts after every value (before them, descending).
    return (value is None, 0 if value is None else value)


SPEC: NodeSpec[ListOperatorConfig] = NodeSpec(
    type="list_operator",
    label="List operator",
    config=ListOperatorConfig,
    run=run,
    outputs=lambda c: {"result": "array", "first_record": "any", "last_record": "any"},
    category="transform",
)

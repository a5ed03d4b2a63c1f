"""If/else and the conditions it shares with loops and list filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowstead.dsl.dify.context import ExportContext, ImportContext, as_number, stable_id
from flowstead.engine.conditions import UNARY, Combine, Condition, Operator
from flowstead.engine.nodes.if_else import Case, IfElseConfig

OPERATORS: dict[str, Operator] = {
    "contains": "contains",
    "not contains": "not_contains",
    "start with": "starts_with",
    "end with": "ends_with",
    "is": "is",
    "is not": "is_not",
    "empty": "empty",
    "not empty": "not_empty",
    "in": "in",
    "not in": "not_in",
    "all of": "all_of",
    "=": "=",
    "≠": "!=",
    "!=": "!=",
    ">": ">",
    "<": "<",
    "≥": ">=",
    ">=": ">=",
    "≤": "<=",
    "<=": "<=",
    "null": "null",
    "not null": "not_null",
    "exists": "exists",
    "not exists": "not_exists",
}
_NUMERIC = ("=", "!=", ">", "<", ">=", "<=")
TURNS = "sys.dialogue_count"
_DIFY_OPERATORS = {"!=": "≠", ">=": "≥", "<=": "≤"} | {
    op: dify for dify, op in OPERATORS.items() if dify[0].isalpha()
}


def combine(value: Any) -> Combine:
    return "or" if value == "or" else "and"


def import_conditions(items: Any, ctx: ImportContext, *, item_key: bool = False) -> list[Condition]:
    """Dify conditions; with `item_key`, each names a key of a list item (list filters)."""
    conditions = []
    for item in items if isinstance(items, list) else []:
        raw = item.get("comparison_operator")
        op = OPERATORS.get(raw)
        if op is None:
            ctx.error(
                f"the condition operator {raw!r} is not supported; that condition was dropped"
            )
            continue
        variable = (
            str(item.get("key") or "") if item_key else ctx.selector(item.get("variable_selector"))
        )
        value = None if op in UNARY else _value(item.get("value"), op, item.get("varType"), ctx)
        if not item_key and variable == TURNS and ctx.zero_based_turns:
            value = _count_from_one(op, value, ctx)
        sub = (item.get("sub_variable_condition") or {}).get("conditions")
        if sub:
            op, value = _flatten_file_condition(op, variable, sub, ctx)
        conditions.append(Condition(variable, op, value))
    return conditions


def _count_from_one(op: Operator, value: Any, ctx: ImportContext) -> Any:
    """A condition on a turn count of Dify before 1.9 (first turn 0) as one on Flowstead's
    (first turn 1): its number raised by 1."""
    moved = op in _NUMERIC and _is_number(value)
    if moved or op in UNARY:
        ctx.turn_handled[ctx.node_id] = ctx.turn_handled.get(ctx.node_id, 0) + 1
    if moved:
        ctx.turns_moved.add(ctx.node_id)
        return value + 1
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(value: Any, op: Operator, var_type: Any, ctx: ImportContext) -> Any:
    if value is None:
        return ""
    if var_type == "number" or op in _NUMERIC:
        value = as_number(value)
    return ctx.text(value) if isinstance(value, str) else value


def _flatten_file_condition(
    op: Operator, variable: str, sub: list[Any], ctx: ImportContext
) -> tuple[Operator, None]:
    """Dify can test attributes of the files in a list; Flowstead conditions cannot."""
    tests = ", ".join(
        f"{s.get('key')} {s.get('comparison_operator')} {s.get('value')}" for s in sub
    )
    kept: Operator = "empty" if op == "not_contains" else "not_empty"
    ctx.error(
        f"a condition looks inside the files of `{variable}` ({tests}), which Flowstead "
        f"conditions cannot do; it now only checks that `{variable}` is "
        f"{kept.replace('_', ' ')}. Filter the files with a List operator node first"
    )
    return kept, None


def export_conditions(
    conditions: list[Condition], ctx: ExportContext, seed: str, *, item_key: bool = False
) -> list[dict[str, Any]]:
    out = []
    for index, condition in enumerate(conditions):
        value = condition.value
        if not item_key and condition.variable == TURNS and condition.op in _NUMERIC:
            # The export is DSL 0.3.1, read by Dify with the first turn counted as 0.
            value = value - 1 if _is_number(value) else value
        item: dict[str, Any] = {
            "id": stable_id(ctx.node_id, seed, index),
            "comparison_operator": _DIFY_OPERATORS.get(condition.op, condition.op),
            "value": _export_value(value, ctx),
            "varType": _var_type(value),
        }
        if item_key:
            item["key"] = condition.variable
        else:
            item["variable_selector"] = ctx.selector(condition.variable)
        out.append(item)
    return out


def _export_value(value: Any, ctx: ExportContext) -> Any:
    if isinstance(value, str):
        return ctx.text(value)
    if value is None:
        return ""
    # Dify keeps numbers in conditions as text, with varType "number".
    return str(value) if _var_type(value) == "number" else value


def _var_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "array[string]" if isinstance(value, list) else "string"


def import_if_else(data: Mapping[str, Any], ctx: ImportContext) -> IfElseConfig:
    cases = data.get("cases")
    if not cases and data.get("conditions") is not None:  # the 0.1.x form: one case
        cases = [
            {
                "case_id": "true",
                "conditions": data["conditions"],
                "logical_operator": data.get("logical_operator"),
            }
        ]
    return IfElseConfig(
        cases=[
            Case(
                id=str(case.get("case_id") or case.get("id") or "true"),
                conditions=import_conditions(case.get("conditions"), ctx),
                operator=combine(case.get("logical_operator")),
            )
            for case in cases or []
        ]
    )


def export_if_else(config: IfElseConfig, ctx: ExportContext) -> dict[str, Any]:
    return {
        "cases": [
            {
                "case_id": case.id,
                "id": case.id,
                "logical_operator": case.operator,
                "conditions": export_conditions(case.conditions, ctx, case.id),
            }
            for case in config.cases
        ]
    }

"""Iteration and loop containers (their children and start nodes are handled by the graph)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from flowstead.dsl.dify.context import ExportContext, ImportContext, as_int, as_number, stable_id
from flowstead.dsl.dify.nodes.logic import combine, export_conditions, import_conditions
from flowstead.engine.nodes.iteration import IterationConfig
from flowstead.engine.nodes.loop import LoopConfig, LoopVariable

ErrorMode = Literal["terminated", "continue_on_error", "remove_abnormal_output"]
_ERROR_MODES: dict[str, ErrorMode] = {
    "terminated": "terminated",
    "continue-on-error": "continue_on_error",
    "remove-abnormal-output": "remove_abnormal_output",
}
_DEFAULTS = IterationConfig()


def import_iteration(data: Mapping[str, Any], ctx: ImportContext) -> IterationConfig:
    return IterationConfig(
        items=ctx.selector(data.get("iterator_selector")),
        output=ctx.selector(data.get("output_selector")),
        parallel=bool(data.get("is_parallel", False)),
        max_parallel=as_int(data.get("parallel_nums"), _DEFAULTS.max_parallel),
        error_mode=_ERROR_MODES.get(str(data.get("error_handle_mode")), "terminated"),
        # Absent before Dify added it; those Dify versions did not flatten.
        flatten=bool(data.get("flatten_output", False)),
    )


def export_iteration(config: IterationConfig, ctx: ExportContext) -> dict[str, Any]:
    item_type = ctx.value_type(config.output)
    return {
        "iterator_selector": ctx.selector(config.items),
        "output_selector": ctx.selector(config.output),
        "output_type": item_type if item_type.startswith("array") else f"array[{item_type}]",
        "is_parallel": config.parallel,
        "parallel_nums": config.max_parallel,
        "error_handle_mode": config.error_mode.replace("_", "-"),
        "flatten_output": config.flatten,
    }


def import_loop(data: Mapping[str, Any], ctx: ImportContext) -> LoopConfig:
    variables = []
    for item in data.get("loop_variables") or []:
        kind = str(item.get("var_type") or "string")
        value = item.get("value")
        if item.get("value_type") == "variable":
            variables.append(
                LoopVariable(str(item.get("label", "")), kind, "variable", ctx.selector(value))
            )
        else:
            variables.append(
                LoopVariable(str(item.get("label", "")), kind, "constant", _constant(value, kind))
            )
    return LoopConfig(
        variables=variables,
        break_conditions=import_conditions(data.get("break_conditions"), ctx),
        operator=combine(data.get("logical_operator")),
        max_count=as_int(data.get("loop_count"), LoopConfig().max_count),
    )


def _constant(value: Any, kind: str) -> Any:
    """Dify keeps loop constants as text; numbers and JSON values become real values."""
    if kind == "number":
        return as_number(value)
    if (kind == "object" or kind.startswith("array")) and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def export_loop(config: LoopConfig, ctx: ExportContext) -> dict[str, Any]:
    variables = []
    for var in config.variables:
        value = var.value
        if var.value_type == "variable":
            value = ctx.selector(value)
        elif isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        variables.append(
            {
                "id": stable_id(ctx.node_id, var.name),
                "label": var.name,
                "var_type": var.type,
                "value_type": var.value_type,
                "value": value,
            }
        )
    return {
        "loop_variables": variables,
        "break_conditions": export_conditions(config.break_conditions, ctx, "break"),
        "logical_operator": config.operator,
        "loop_count": config.max_count,
    }

"""Nodes that reshape values: code, template, aggregator, assigner, list operator and
document extractor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from flowstead.dsl.dify.context import (
    ExportContext,
    ImportContext,
    as_int,
    as_number,
    stable_id,
)
from flowstead.dsl.dify.nodes.logic import export_conditions, import_conditions
from flowstead.engine.nodes._common import Mapping_
from flowstead.engine.nodes.code import CodeConfig, OutputType
from flowstead.engine.nodes.document_extractor import DocumentExtractorConfig
from flowstead.engine.nodes.list_operator import Filter, ListOperatorConfig, Sort
from flowstead.engine.nodes.template import TemplateConfig
from flowstead.engine.nodes.variable_aggregator import Group, VariableAggregatorConfig
from flowstead.engine.nodes.variable_assigner import (
    Assignment,
    Operation,
    VariableAssignerConfig,
)

_OUTPUT_TYPES: dict[str, OutputType] = {t: t for t in get_args(OutputType)}
_OPERATIONS: frozenset[str] = frozenset(get_args(Operation))
_NO_VALUE = ("clear", "remove-first", "remove-last")


def import_code(data: Mapping[str, Any], ctx: ImportContext) -> CodeConfig:
    language = data.get("code_language", "python3")
    if language not in ("python3", "javascript"):
        ctx.error(f"code in {language!r} cannot run here; it was kept as Python 3 to rewrite")
    outputs: dict[str, OutputType] = {}
    for name, spec in (data.get("outputs") or {}).items():
        kind = str(spec.get("type")) if isinstance(spec, Mapping) else None
        if kind not in _OUTPUT_TYPES:
            ctx.warning(
                f"the output {name!r} has the type {kind!r}, which Flowstead lacks; it became `any`"
            )
        outputs[str(name)] = _OUTPUT_TYPES.get(kind or "", "any")
    return CodeConfig(
        language="javascript" if language == "javascript" else "python3",
        code=str(data.get("code") or ""),
        inputs=[
            Mapping_(str(v.get("variable", "")), ctx.selector(v.get("value_selector")))
            for v in data.get("variables") or []
        ],
        outputs=outputs,
    )


def export_code(config: CodeConfig, ctx: ExportContext) -> dict[str, Any]:
    return {
        "code_language": config.language,
        "code": config.code,
        "variables": [
            {"variable": m.name, "value_selector": ctx.selector(m.value)} for m in config.inputs
        ],
        "outputs": {
            name: {"type": kind, "children": None} for name, kind in config.outputs.items()
        },
    }


def import_template(data: Mapping[str, Any], ctx: ImportContext) -> TemplateConfig:
    return TemplateConfig(template=ctx.jinja(data.get("template"), data.get("variables")))


def export_template(config: TemplateConfig, ctx: ExportContext) -> dict[str, Any]:
    variables, body = ctx.jinja(config.template)
    return {"template": body, "variables": variables}


def import_variable_aggregator(
    data: Mapping[str, Any], ctx: ImportContext
) -> VariableAggregatorConfig:
    advanced = data.get("advanced_settings") or {}
    if advanced.get("group_enabled"):
        return VariableAggregatorConfig(
            groups=[
                Group(
                    name=str(g.get("group_name", "")),
                    variables=[ctx.selector(v) for v in g.get("variables") or []],
                    output_type=str(g.get("output_type") or "any"),
                )
                for g in advanced.get("groups") or []
            ]
        )
    return VariableAggregatorConfig(
        variables=[ctx.selector(v) for v in data.get("variables") or []],
        output_type=str(data.get("output_type") or "any"),
    )


def export_variable_aggregator(
    config: VariableAggregatorConfig, ctx: ExportContext
) -> dict[str, Any]:
    groups = [
        {
            "groupId": stable_id(ctx.node_id, g.name),
            "group_name": g.name,
            "output_type": g.output_type,
            "variables": [ctx.selector(v) for v in g.variables],
        }
        for g in config.groups
    ]
    return {
        "output_type": config.output_type,
        "variables": [ctx.selector(v) for v in config.variables],
        "advanced_settings": {"group_enabled": bool(groups), "groups": groups},
    }


def import_assigner(data: Mapping[str, Any], ctx: ImportContext) -> VariableAssignerConfig:
    """Both forms: v1 (one assigned variable, a write mode) and v2 (a list of operations)."""
    if "items" not in data and "assigned_variable_selector" in data:
        items = [
            {
                "variable_selector": data.get("assigned_variable_selector"),
                "operation": data.get("write_mode", "over-write"),
                "input_type": "variable",
                "value": data.get("input_variable_selector"),
            }
        ]
    else:
        items = data.get("items") or []
    assignments = []
    for item in items:
        operation = item.get("operation", "over-write")
        if operation not in _OPERATIONS:
            ctx.error(f"the assignment operation {operation!r} is not supported; it was dropped")
            continue
        input_type: Literal["variable", "constant"] = (
            "constant" if item.get("input_type") == "constant" else "variable"
        )
        value = item.get("value")
        if operation in _NO_VALUE:
            value = None
        elif input_type == "variable":
            value = ctx.selector(value)
        assignments.append(
            Assignment(
                variable=ctx.selector(item.get("variable_selector")),
                operation=operation,
                input_type=input_type,
                value=value,
            )
        )
    return VariableAssignerConfig(items=assignments)


def export_assigner(config: VariableAssignerConfig, ctx: ExportContext) -> dict[str, Any]:
    items = []
    for item in config.items:
        value = item.value
        if item.input_type == "variable" and isinstance(value, str):
            value = ctx.selector(value)
        items.append(
            {
                "variable_selector": ctx.selector(item.variable),
                "operation": item.operation,
                "input_type": item.input_type,
                "value": value,
                "write_mode": "over-write",
            }
        )
    return {"version": "2", "items": items}


def import_list_operator(data: Mapping[str, Any], ctx: ImportContext) -> ListOperatorConfig:
    filter_by = data.get("filter_by") or {}
    order_by = data.get("order_by") or {}
    limit = data.get("limit") or {}
    extract = data.get("extract_by") or {}
    position = None
    if extract.get("enabled"):
        position = as_number(str(extract.get("serial", "1")))
        if not isinstance(position, int):
            ctx.warning(
                f"the item to extract is {extract.get('serial')!r}, not a fixed "
                "position; extraction was turned off"
            )
            position = None
    return ListOperatorConfig(
        variable=ctx.selector(data.get("variable")),
        filter=Filter(import_conditions(filter_by.get("conditions"), ctx, item_key=True))
        if filter_by.get("enabled")
        else None,
        sort=Sort(
            str(order_by.get("key") or ""), "desc" if order_by.get("value") == "desc" else "asc"
        )
        if order_by.get("enabled")
        else None,
        limit=as_int(limit.get("size"), 0) if limit.get("enabled") else None,
        extract=position,
    )


def export_list_operator(config: ListOperatorConfig, ctx: ExportContext) -> dict[str, Any]:
    var_type = ctx.value_type(config.variable)
    var_type = var_type if var_type.startswith("array[") else "array[string]"
    conditions = config.filter.conditions if config.filter else []
    return {
        "variable": ctx.selector(config.variable),
        "var_type": var_type,
        "item_var_type": var_type[6:-1],
        "filter_by": {
            "enabled": config.filter is not None,
            "conditions": export_conditions(conditions, ctx, "filter", item_key=True),
        },
        "order_by": {
            "enabled": config.sort is not None,
            "key": config.sort.key if config.sort else "",
            "value": config.sort.order if config.sort else "asc",
        },
        "limit": {"enabled": config.limit is not None, "size": config.limit or 10},
        "extract_by": {"enabled": config.extract is not None, "serial": str(config.extract or 1)},
    }


def import_document_extractor(
    data: Mapping[str, Any], ctx: ImportContext
) -> DocumentExtractorConfig:
    return DocumentExtractorConfig(variable=ctx.selector(data.get("variable_selector")))


def export_document_extractor(
    config: DocumentExtractorConfig, ctx: ExportContext
) -> dict[str, Any]:
    return {
        "variable_selector": ctx.selector(config.variable),
        "is_array_file": ctx.value_type(config.variable).startswith("array"),
    }

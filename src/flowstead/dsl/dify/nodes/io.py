"""Start, End and Answer nodes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowstead.dsl.dify.context import ExportContext, ImportContext, as_int
from flowstead.engine.nodes._common import Mapping_
from flowstead.engine.nodes.answer import AnswerConfig
from flowstead.engine.nodes.end import EndConfig
from flowstead.engine.nodes.start import InputType, StartConfig, StartInput

INPUT_TYPES: dict[str, InputType] = {
    "text-input": "text",
    "paragraph": "paragraph",
    "select": "select",
    "number": "number",
    "checkbox": "checkbox",
    "json_object": "json",
    "file": "file",
    "file-list": "files",
}
_DIFY_INPUT_TYPES = {v: k for k, v in INPUT_TYPES.items()}
_TEXT_TYPES = ("text", "paragraph")


def import_start(data: Mapping[str, Any], ctx: ImportContext) -> StartConfig:
    inputs = []
    for var in data.get("variables") or []:
        kind: InputType | None = INPUT_TYPES.get(var.get("type", "text-input"))
        if kind is None:
            ctx.warning(
                f"the input {var.get('variable')!r} has the Dify type "
                f"{var.get('type')!r}, which Flowstead lacks; it became a text input"
            )
            kind = "text"
        max_length = var.get("max_length") if kind in _TEXT_TYPES else None
        name, label = str(var.get("variable", "")), str(var.get("label") or "")
        inputs.append(
            StartInput(
                name=name,
                type=kind,
                label=label if label != name else "",
                required=bool(var.get("required", False)),
                default=var.get("default") if var.get("default") != "" else None,
                options=[str(o) for o in var.get("options") or []] if kind == "select" else [],
                max_length=as_int(max_length, 0) or None,
                description=str(var.get("hint") or ""),
            )
        )
    return StartConfig(inputs=inputs)


def export_start(config: StartConfig, ctx: ExportContext) -> dict[str, Any]:
    variables = []
    for item in config.inputs:
        var: dict[str, Any] = {
            "variable": item.name,
            "label": item.label or item.name,
            "type": _DIFY_INPUT_TYPES[item.type],
            "required": item.required,
            "options": item.options,
            "max_length": item.max_length,
        }
        if item.default is not None:
            var["default"] = item.default
        if item.description:
            var["hint"] = item.description
        if item.type in ("file", "files"):
            var |= {
                "allowed_file_types": ["image", "document", "audio", "video"],
                "allowed_file_extensions": [],
                "allowed_file_upload_methods": ["local_file", "remote_url"],
            }
        variables.append(var)
    return {"variables": variables}


def import_end(data: Mapping[str, Any], ctx: ImportContext) -> EndConfig:
    return EndConfig(
        outputs=[
            Mapping_(str(o.get("variable", "")), ctx.selector(o.get("value_selector")))
            for o in data.get("outputs") or []
        ]
    )


def export_end(config: EndConfig, ctx: ExportContext) -> dict[str, Any]:
    return {
        "outputs": [
            {"variable": o.name, "value_selector": ctx.selector(o.value)} for o in config.outputs
        ]
    }


def import_answer(data: Mapping[str, Any], ctx: ImportContext) -> AnswerConfig:
    return AnswerConfig(text=ctx.text(data.get("answer", "")))


def export_answer(config: AnswerConfig, ctx: ExportContext) -> dict[str, Any]:
    return {"answer": ctx.text(config.text), "variables": []}

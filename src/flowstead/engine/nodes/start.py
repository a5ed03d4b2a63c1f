"""Start: the run's inputs, checked and typed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec

InputType = Literal["text", "paragraph", "number", "select", "checkbox", "json", "file", "files"]
OUTPUT_TYPES = {
    "text": "string",
    "paragraph": "string",
    "number": "number",
    "select": "string",
    "checkbox": "boolean",
    "json": "object",
    "file": "file",
    "files": "array[file]",
}


class StartInput(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    type: InputType = "text"
    label: str = ""
    required: bool = True
    default: Any = None
    options: list[str] = []
    max_length: int | None = None
    description: str = ""


class StartConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    inputs: list[StartInput] = []


class InputError(ValueError):
    pass


async def run(config: StartConfig, ctx: NodeContext) -> NodeResult:
    """Check and type the run's inputs, which the engine puts under this node's id."""
    try:
        given = ctx.resolve(ctx.node.id)
    except selectors.Missing:
        given = {}
    outputs: dict[str, Any] = {}
    for spec in config.inputs:
        value = given.get(spec.name)
        if _blank(value):
            if spec.required and _blank(spec.default):
                return NodeResult.fail(f"input `{spec.name}` is required", inputs=dict(given))
            value = spec.default
        if value is not None:
            try:
                value = _typed(spec, value)
            except InputError as exc:
                return NodeResult.fail(f"input `{spec.name}` {exc}", inputs=dict(given))
        outputs[spec.name] = value
    return NodeResult.ok(outputs, inputs=dict(given))


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _typed(spec: StartInput, value: Any) -> Any:
    match spec.type:
        case "text" | "paragraph" | "select":
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InputError(f"must be text, not {type(value).__name__}")
            text = str(value)
            if spec.type == "select" and text not in spec.options:
                raise InputError(f"must be one of {', '.join(spec.options)}; got {text!r}")
            if spec.max_length is not None and len(text) > spec.max_length:
                raise InputError(f"is {len(text)} characters, more than {spec.max_length}")
            return text
        case "number":
            return _number(value)
        case "checkbox":
            return _checkbox(value)
        case "json":
            return _json(value)
        case "file":
            return _file(value)
        case "files":
            if not isinstance(value, list):
                raise InputError("must be a list of files")
            return [_file(item) for item in value]


def _number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            pass
    raise InputError(f"must be a number; got {value!r}")


def _checkbox(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise InputError(f"must be true or false; got {value!r}")


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise InputError(f"is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InputError("must be a JSON object")
    return value


def _file(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not ("id" in value or "url" in value):
        raise InputError("must be a file (a mapping with an `id` or a `url`)")
    return dict(value)


SPEC: NodeSpec[StartConfig] = NodeSpec(
    type="start",
    label="Start",
    config=StartConfig,
    run=run,
    outputs=lambda c: {i.name: OUTPUT_TYPES[i.type] for i in c.inputs},
    category="io",
)

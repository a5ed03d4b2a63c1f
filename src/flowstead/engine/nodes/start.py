"""Start: the run's inputs, checked and typed."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented

InputType = Literal["text", "paragraph", "number", "select", "checkbox", "json", "file", "files"]
OUTPUT_TYPES = {"text": "string", "paragraph": "string", "number": "number", "select": "string",
                "checkbox": "boolean", "json": "object", "file": "file", "files": "array[file]"}


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


SPEC = NodeSpec(
    type="start",
    label="Start",
    config=StartConfig,
    run=not_implemented,
    outputs=lambda c: {i.name: OUTPUT_TYPES[i.type] for i in c.inputs},
    category="io",
)

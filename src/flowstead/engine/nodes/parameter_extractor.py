"""Parameter extractor: typed parameters pulled from text by the model."""

from __future__ import annotations

from typing import Literal

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import ModelRef, not_implemented

ParamType = Literal["string", "number", "boolean", "select", "array[string]", "array[number]",
                    "array[object]", "array[boolean]", "object"]


class Parameter(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    type: ParamType = "string"
    description: str = ""
    required: bool = False
    options: list[str] = []


class ParameterExtractorConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    # A selector of the text to extract from.
    query: str = "sys.query"
    parameters: list[Parameter] = []
    instruction: str = ""
    mode: Literal["function_call", "prompt"] = "function_call"
    memory_window: int | None = None


def _outputs(c: ParameterExtractorConfig) -> dict[str, str]:
    outputs = {p.name: ("string" if p.type == "select" else p.type) for p in c.parameters}
    return {**outputs, "__is_success": "number", "__reason": "string", "usage": "object"}


SPEC = NodeSpec(
    type="parameter_extractor",
    label="Parameter extractor",
    config=ParameterExtractorConfig,
    run=not_implemented,
    outputs=_outputs,
    category="ai",
)

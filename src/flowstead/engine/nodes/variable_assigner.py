"""Variable assigner: writes conversation variables (or loop variables), Dify v2 operations."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented

Operation = Literal["over-write", "clear", "set", "append", "extend", "+=", "-=", "*=", "/=",
                    "remove-first", "remove-last"]


class Assignment(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # `conversation.<name>` or `<loop_id>.<name>`.
    variable: str
    operation: Operation = "over-write"
    # `variable`: `value` is a selector; `constant`: `value` is used as is.
    input_type: Literal["variable", "constant"] = "variable"
    value: Any = None


class VariableAssignerConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    items: list[Assignment] = []


SPEC = NodeSpec(
    type="variable_assigner",
    label="Variable assigner",
    config=VariableAssignerConfig,
    run=not_implemented,
    outputs=lambda c: {},
    category="transform",
)

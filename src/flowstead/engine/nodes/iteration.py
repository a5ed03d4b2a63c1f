"""Iteration: runs its child nodes once per item of a list, optionally in parallel.

Children see `<iteration_id>.item` and `<iteration_id>.index`."""

from __future__ import annotations

from typing import Literal

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class IterationConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # A selector of the list to iterate over.
    items: str = ""
    # A selector of a child node's output, collected per item into `output`.
    output: str = ""
    parallel: bool = False
    max_parallel: int = 10
    error_mode: Literal["terminated", "continue_on_error", "remove_abnormal_output"] = "terminated"
    flatten: bool = False


SPEC = NodeSpec(
    type="iteration",
    label="Iteration",
    config=IterationConfig,
    run=not_implemented,
    outputs=lambda c: {"output": "array", "item": "any", "index": "number"},
    category="logic",
    container=True,
)

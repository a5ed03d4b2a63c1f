"""Loop: runs its child nodes until a break condition holds or `max_count` is reached.

Children see `<loop_id>.index` and each loop variable as `<loop_id>.<name>`."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from flowstead.engine.conditions import Combine, Condition
from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class LoopVariable(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    type: str = "string"
    # `constant`: `value` as is; `variable`: `value` is a selector read at loop start.
    value_type: Literal["constant", "variable"] = "constant"
    value: Any = None


class LoopConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    variables: list[LoopVariable] = []
    break_conditions: list[Condition] = []
    operator: Combine = "and"
    max_count: int = 10


SPEC = NodeSpec(
    type="loop",
    label="Loop",
    config=LoopConfig,
    run=not_implemented,
    outputs=lambda c: {**{v.name: v.type for v in c.variables}, "index": "number"},
    category="logic",
    container=True,
)

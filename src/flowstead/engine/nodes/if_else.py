"""If/else: the first case whose conditions hold picks the branch; otherwise `else`."""

from __future__ import annotations

import msgspec

from flowstead.engine.conditions import Combine, Condition
from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented

ELSE = "else"


class Case(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    id: str
    conditions: list[Condition] = []
    operator: Combine = "and"


class IfElseConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    cases: list[Case] = []


SPEC = NodeSpec(
    type="if_else",
    label="If / else",
    config=IfElseConfig,
    run=not_implemented,
    outputs=lambda c: {},
    handles=lambda c: (*(case.id for case in c.cases), ELSE),
)

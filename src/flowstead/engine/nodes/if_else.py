"""If/else: the first case whose conditions hold picks the branch; otherwise `else`."""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine import selectors
from flowstead.engine.conditions import Combine, Condition, ConditionError, check
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.templates import TemplateError

ELSE = "else"


class Case(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    id: str
    conditions: list[Condition] = []
    operator: Combine = "and"


class IfElseConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    cases: list[Case] = []


def reader(ctx: NodeContext) -> Any:
    """Reads a selector for a condition; a value that does not exist reads as None."""

    def read(selector: str) -> Any:
        try:
            return ctx.resolve(selector)
        except selectors.Missing:
            return None

    return read


async def run(config: IfElseConfig, ctx: NodeContext) -> NodeResult:
    read = reader(ctx)
    for case in config.cases:
        try:
            holds = check(case.conditions, case.operator, read, ctx.render)
        except (ConditionError, TemplateError) as exc:
            return NodeResult.fail(f"case {case.id}: {exc}")
        if holds:
            return NodeResult.ok({"result": True, "case": case.id}, handle=case.id)
    return NodeResult.ok({"result": False, "case": ELSE}, handle=ELSE)


SPEC: NodeSpec[IfElseConfig] = NodeSpec(
    type="if_else",
    label="If / else",
    config=IfElseConfig,
    run=run,
    outputs=lambda c: {"result": "boolean", "case": "string"},
    handles=lambda c: (*(case.id for case in c.cases), ELSE),
)

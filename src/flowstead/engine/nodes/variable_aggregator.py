"""Variable aggregator: the first of several values that exists (per group).

A value exists when its node ran and it is not None: after a branch, the skipped
branch's outputs do not exist, so the aggregator picks the branch that ran."""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec


class Group(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    variables: list[str] = []
    output_type: str = "any"


class VariableAggregatorConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # Selectors, tried in order; with `groups`, each group aggregates on its own.
    variables: list[str] = []
    output_type: str = "any"
    groups: list[Group] = []


def _first(ctx: NodeContext, variables: list[str]) -> Any:
    for selector in variables:
        try:
            value = ctx.resolve(selector)
        except selectors.Missing:
            continue
        if value is not None:
            return value
    return None


async def run(config: VariableAggregatorConfig, ctx: NodeContext) -> NodeResult:
    if config.groups:
        outputs = {g.name: {"output": _first(ctx, g.variables)} for g in config.groups}
        return NodeResult.ok(outputs)
    return NodeResult.ok({"output": _first(ctx, config.variables)})


SPEC: NodeSpec[VariableAggregatorConfig] = NodeSpec(
    type="variable_aggregator",
    label="Variable aggregator",
    config=VariableAggregatorConfig,
    run=run,
    outputs=lambda c: (
        {g.name: "object" for g in c.groups} if c.groups else {"output": c.output_type}
    ),
    category="transform",
)

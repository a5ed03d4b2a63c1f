"""Variable aggregator: the first non-empty of several values (per group)."""

from __future__ import annotations

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class Group(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    variables: list[str] = []
    output_type: str = "any"


class VariableAggregatorConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # Selectors, tried in order; with `groups`, each group aggregates on its own.
    variables: list[str] = []
    output_type: str = "any"
    groups: list[Group] = []


SPEC = NodeSpec(
    type="variable_aggregator",
    label="Variable aggregator",
    config=VariableAggregatorConfig,
    run=not_implemented,
    outputs=lambda c: ({g.name: "object" for g in c.groups} if c.groups else {"output": c.output_type}),
    category="transform",
)

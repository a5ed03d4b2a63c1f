"""End: the run's outputs, each picked from an upstream value."""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.nodes._common import Mapping_


class EndConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    outputs: list[Mapping_] = []


async def run(config: EndConfig, ctx: NodeContext) -> NodeResult:
    """A value that does not exist (a skipped branch's output) is None, as in Dify."""
    outputs: dict[str, Any] = {}
    for mapping in config.outputs:
        try:
            outputs[mapping.name] = ctx.resolve(mapping.value)
        except selectors.Missing:
            outputs[mapping.name] = None
    return NodeResult.ok(outputs, inputs=outputs)


SPEC: NodeSpec[EndConfig] = NodeSpec(
    type="end",
    label="End",
    config=EndConfig,
    run=run,
    outputs=lambda c: {o.name: "any" for o in c.outputs},
    category="io",
)

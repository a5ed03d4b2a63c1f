"""End: the run's outputs, each picked from an upstream value."""

from __future__ import annotations

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import Mapping_, not_implemented


class EndConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    outputs: list[Mapping_] = []


SPEC = NodeSpec(
    type="end",
    label="End",
    config=EndConfig,
    run=not_implemented,
    outputs=lambda c: {o.name: "any" for o in c.outputs},
    category="io",
)

"""Answer: streams a templated reply (chat mode) as soon as its inputs are available."""

from __future__ import annotations

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class AnswerConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    text: str = ""


SPEC = NodeSpec(
    type="answer",
    label="Answer",
    config=AnswerConfig,
    run=not_implemented,
    outputs=lambda c: {"answer": "string"},
    category="io",
)

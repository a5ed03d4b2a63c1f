"""Question classifier: the model picks one class; the branch is that class's id."""

from __future__ import annotations

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import ModelRef, not_implemented


class Class(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    name: str


class QuestionClassifierConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    # A selector of the text to classify.
    query: str = "sys.query"
    classes: list[Class] = []
    instruction: str = ""
    memory_window: int | None = None


SPEC = NodeSpec(
    type="question_classifier",
    label="Question classifier",
    config=QuestionClassifierConfig,
    run=not_implemented,
    outputs=lambda c: {"class_name": "string", "class_id": "string", "usage": "object"},
    handles=lambda c: tuple(cls.id for cls in c.classes),
    category="ai",
)

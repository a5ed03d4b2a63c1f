"""Template: render sandboxed Jinja2 over upstream values."""

from __future__ import annotations

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class TemplateConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    template: str = ""
    max_length: int = 400_000


SPEC = NodeSpec(
    type="template",
    label="Template",
    config=TemplateConfig,
    run=not_implemented,
    outputs=lambda c: {"output": "string"},
    category="transform",
)

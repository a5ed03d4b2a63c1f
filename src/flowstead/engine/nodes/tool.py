"""Tool: calls a built-in tool (or says plainly which plugin is missing)."""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import not_implemented


class ToolConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # `builtin`, or the id of a plugin Flowstead does not have (kept from imports).
    provider: str = "builtin"
    tool: str = ""
    # Parameter values: strings are templates, other values are used as is.
    parameters: dict[str, Any] = {}


SPEC = NodeSpec(
    type="tool",
    label="Tool",
    config=ToolConfig,
    run=not_implemented,
    outputs=lambda c: {"text": "string", "json": "any", "files": "array[file]"},
    category="io",
)

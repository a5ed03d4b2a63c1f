"""Code: `main(**inputs) -> dict` in Python 3 (or JavaScript via node) in a child process."""

from __future__ import annotations

from typing import Literal

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import Mapping_, not_implemented

OutputType = Literal["string", "number", "boolean", "object", "array[string]", "array[number]",
                     "array[object]", "array[boolean]", "any"]


class CodeConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    language: Literal["python3", "javascript"] = "python3"
    code: str = "def main() -> dict:\n    return {}\n"
    inputs: list[Mapping_] = []
    outputs: dict[str, OutputType] = {}
    cpu_seconds: float = 10.0
    memory_mb: int = 256


SPEC = NodeSpec(
    type="code",
    label="Code",
    config=CodeConfig,
    run=not_implemented,
    outputs=lambda c: dict(c.outputs),
    category="transform",
)

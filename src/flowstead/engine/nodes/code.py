"""Code: `main(**inputs) -> dict` in Python 3 (or JavaScript via node) in a child process.

The declared outputs are checked after the run: each must be present with its type, and
keys `main` returns beyond them are dropped. With no outputs declared, everything `main`
returns is passed on as is.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.nodes._common import Mapping_
from flowstead.engine.ports import CodeLimits

OutputType = Literal[
    "string",
    "number",
    "boolean",
    "object",
    "array[string]",
    "array[number]",
    "array[object]",
    "array[boolean]",
    "any",
]

# Dify-like limits on what a program may hand on, generous enough for real data.
MAX_STRING_LENGTH = 400_000
MAX_DEPTH = 10
# Wall time allowed beyond the CPU limit, for I/O and start-up.
WALL_GRACE_SECONDS = 5.0


class CodeConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    language: Literal["python3", "javascript"] = "python3"
    code: str = "def main() -> dict:\n    return {}\n"
    inputs: list[Mapping_] = []
    outputs: dict[str, OutputType] = {}
    cpu_seconds: float = 10.0
    memory_mb: int = 256


async def run(config: CodeConfig, ctx: NodeContext) -> NodeResult:
    inputs: dict[str, Any] = {}
    for mapping in config.inputs:
        try:
            inputs[mapping.name] = ctx.resolve(mapping.value)
        except selectors.Missing as exc:
            return NodeResult.fail(f"input `{mapping.name}`: {exc}", inputs=inputs)
    limits = CodeLimits(
        cpu_seconds=config.cpu_seconds,
        wall_seconds=config.cpu_seconds + WALL_GRACE_SECONDS,
        memory_bytes=config.memory_mb * 1024 * 1024,
    )
    result = await ctx.code.run(config.language, config.code, inputs, limits)
    process_data = {"stdout": result.stdout} if result.stdout else {}
    if not result.ok:
        return NodeResult.fail(
            f"code failed: {result.error}", inputs=inputs, process_data=process_data
        )
    outputs, error = check_outputs(result.value, config.outputs)
    if error:
        return NodeResult.fail(error, inputs=inputs, process_data=process_data)
    return NodeResult.ok(outputs, inputs=inputs, process_data=process_data)


def check_outputs(
    value: dict[str, Any], declared: dict[str, OutputType]
) -> tuple[dict[str, Any], str | None]:
    """The declared outputs of `value`, or an error naming the first one that is wrong."""
    for name, item in value.items():
        if problem := _limit_problem(item, 1):
            return {}, f"output `{name}` {problem}"
    if not declared:
        return value, None
    for name, expected in declared.items():
        if name not in value:
            returned = ", ".join(f"`{k}`" for k in value) or "nothing"
            return {}, f"output `{name}` is missing: main returned {returned}"
        if not _has_type(value[name], expected):
            actual = _type_name(value[name])
            return {}, f"output `{name}` should be {expected}, but main returned {actual}"
    return {name: value[name] for name in declared}, None


def _has_type(value: Any, expected: str) -> bool:
    if expected == "any":
        return True
    if expected.startswith("array["):
        item_type = expected[len("array[") : -1]
        return isinstance(value, list) and all(_has_type(v, item_type) for v in value)
    return _type_name(value) == expected


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else type(value).__name__


def _limit_problem(value: Any, depth: int) -> str | None:
    if isinstance(value, str) and len(value) > MAX_STRING_LENGTH:
        return f"has a string longer than {MAX_STRING_LENGTH} characters"
    if isinstance(value, dict | list):
        if depth > MAX_DEPTH:
            return f"is nested deeper than {MAX_DEPTH} levels"
        items = value.values() if isinstance(value, dict) else value
        return next((p for v in items if (p := _limit_problem(v, depth + 1))), None)
    return None


SPEC: NodeSpec[CodeConfig] = NodeSpec(
    type="code",
    label="Code",
    config=CodeConfig,
    run=run,
    outputs=lambda c: dict(c.outputs),
    category="transform",
)

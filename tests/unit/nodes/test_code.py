from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import code
from flowstead.engine.ports import CodeLimits, CodeResult

from .context import TestContext, make_node


@dataclass
class FakeRunner:
    """Returns one canned result and records what it was asked to run."""

    result: CodeResult
    calls: list[tuple[str, str, dict[str, Any], CodeLimits]] = field(default_factory=list)

    async def run(
        self, language: str, source: str, inputs: Mapping[str, Any], limits: CodeLimits
    ) -> CodeResult:
        self.calls.append((language, source, dict(inputs), limits))
        return self.result


def returns(value: dict[str, Any], stdout: str = "") -> FakeRunner:
    return FakeRunner(CodeResult(ok=True, value=value, stdout=stdout))


async def run(config: dict[str, Any], runner: FakeRunner, **values: Any) -> NodeResult:
    ctx = TestContext(node=make_node("code", config), values=values, code=runner)
    return await code.run(msgspec.convert(config, code.CodeConfig), ctx)


SOURCE = "def main(text):\n    return {'upper': text.upper(), 'size': len(text)}\n"


async def test_passes_resolved_inputs_and_limits_and_returns_declared_outputs() -> None:
    runner = returns({"upper": "HI", "size": 2, "extra": True}, stdout="debug\n")
    config = {
        "code": SOURCE,
        "inputs": [{"name": "text", "value": "start.text"}],
        "outputs": {"upper": "string", "size": "number"},
        "cpu_seconds": 2,
        "memory_mb": 64,
    }
    result = await run(config, runner, start={"text": "hi"})

    assert result.status == "succeeded", result.error
    assert result.outputs == {"upper": "HI", "size": 2}
    assert result.inputs == {"text": "hi"}
    assert result.process_data == {"stdout": "debug\n"}
    ((language, source, inputs, limits),) = runner.calls
    assert (language, source, inputs) == ("python3", SOURCE, {"text": "hi"})
    assert limits == CodeLimits(cpu_seconds=2, wall_seconds=7, memory_bytes=64 * 1024 * 1024)


async def test_without_declared_outputs_everything_is_passed_on() -> None:
    result = await run({"code": SOURCE}, returns({"a": 1, "b": [1, 2]}))
    assert result.outputs == {"a": 1, "b": [1, 2]}


async def test_a_missing_input_value_fails_before_running() -> None:
    runner = returns({})
    config = {"code": SOURCE, "inputs": [{"name": "text", "value": "start.nope"}]}
    result = await run(config, runner, start={})

    assert result.status == "failed"
    assert result.error == "input `text`: no value at `start.nope`"
    assert runner.calls == []


async def test_a_failed_run_reports_the_runner_error_and_what_it_printed() -> None:
    runner = FakeRunner(CodeResult(ok=False, error="timed out: exceeded 15 s", stdout="step 1"))
    result = await run({"code": SOURCE}, runner)

    assert result.status == "failed"
    assert result.error == "code failed: timed out: exceeded 15 s"
    assert result.process_data == {"stdout": "step 1"}


async def test_a_missing_declared_output_is_named() -> None:
    result = await run({"outputs": {"answer": "string"}}, returns({"other": 1}))
    assert result.error == "output `answer` is missing: main returned `other`"


@pytest.mark.parametrize(
    ("declared", "value", "actual"),
    [
        ("string", 3, "number"),
        ("number", "3", "string"),
        ("number", True, "boolean"),
        ("boolean", 0, "number"),
        ("object", [1], "array"),
        ("array[string]", ["a", 1], "array"),
        ("array[number]", "1,2", "string"),
        ("array[object]", [{}, None], "array"),
        ("array[boolean]", [True, "no"], "array"),
        ("string", None, "null"),
    ],
)
async def test_a_wrongly_typed_output_names_both_types(
    declared: str, value: Any, actual: str
) -> None:
    result = await run({"outputs": {"x": declared}}, returns({"x": value}))
    assert result.status == "failed"
    assert result.error == f"output `x` should be {declared}, but main returned {actual}"


@pytest.mark.parametrize(
    ("declared", "value"),
    [
        ("string", "s"),
        ("number", 1.5),
        ("number", 2),
        ("boolean", False),
        ("object", {"a": 1}),
        ("array[string]", ["a"]),
        ("array[number]", [1, 2.5]),
        ("array[object]", [{"a": 1}]),
        ("array[boolean]", []),
        ("any", None),
    ],
)
async def test_correctly_typed_outputs_pass(declared: str, value: Any) -> None:
    result = await run({"outputs": {"x": declared}}, returns({"x": value}))
    assert result.outputs == {"x": value}


async def test_a_too_long_string_fails() -> None:
    result = await run({}, returns({"x": ["a" * (code.MAX_STRING_LENGTH + 1)]}))
    assert result.error == "output `x` has a string longer than 400000 characters"


async def test_too_deep_nesting_fails() -> None:
    deep: Any = "bottom"
    for _ in range(code.MAX_DEPTH + 1):
        deep = {"d": deep}
    result = await run({}, returns({"x": deep}))
    assert result.error == "output `x` is nested deeper than 10 levels"

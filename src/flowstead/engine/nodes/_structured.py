"""Structured output: a model's answer parsed as JSON and validated against a JSON Schema,
with one repair request when it does not match."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec

from flowstead.engine.nodes._llm_common import (
    Completion,
    add_usage,
    complete,
    message_data,
    parse_json,
)
from flowstead.engine.ports import LLM, ChatMessage, ChatRequest, LLMError
from flowstead.engine.reasoning import split_think

_MAX_PROBLEM = 300


@dataclass
class Structured:
    """The outcome: the final answer (usage summed over attempts) and its value, or why not."""

    answer: Completion
    value: Any = None
    error: str | None = None
    # What the repair attempt sent and why, when there was one (for the run detail).
    repair: dict[str, Any] | None = None


def schema_problem(schema: dict[str, Any]) -> str | None:
    """Why `schema` is not a usable JSON Schema, or None."""
    # jsonschema is loaded on first use: at import it costs every process about 4 MB and
    # 0.1 s of start-up, for the few nodes that ask for structured output.
    from jsonschema import exceptions, validators

    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as exc:
        return f"json_schema is not a valid JSON Schema: {exc.message}"
    return None


def check(text: str, schema: dict[str, Any]) -> tuple[Any, str | None]:
    """The JSON value in `text` (past any `<think>` block) if it matches `schema`, else
    (None, what is wrong)."""
    try:
        value = parse_json(split_think(text).answer)
    except ValueError as exc:
        return None, str(exc)
    from jsonschema import exceptions, validators  # on first use, as above

    validator = validators.validator_for(schema)(schema)
    error = exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return value, None
    where = "/".join(str(part) for part in error.absolute_path)
    problem = f"at `{where}`: {error.message}" if where else error.message
    return None, _clip(f"the answer does not match the schema {problem}")


def repair_prompt(problem: str, schema: dict[str, Any]) -> str:
    return (
        f"Your answer could not be used: {problem}.\n"
        "Answer again with only a JSON value that matches this JSON Schema, "
        "without code fences or any other text:\n"
        f"{json.dumps(schema, ensure_ascii=False)}"
    )


async def structured_output(
    llm: LLM, request: ChatRequest, first: Completion, schema: dict[str, Any], separate: bool
) -> Structured:
    """Validate `first`; if it does not match, ask once more with the error and the schema."""
    value, problem = check(first.text, schema)
    if problem is None:
        return Structured(first, value)
    follow_up = (
        ChatMessage("assistant", first.text),
        ChatMessage("user", repair_prompt(problem, schema)),
    )
    repair_request = replace_messages(request, request.messages + follow_up)
    repair: dict[str, Any] = {"error": problem, "messages": message_data(follow_up)}
    try:
        second = await complete(llm, repair_request, separate=separate)
    except LLMError as exc:
        failed = f"structured output: {problem}; the repair request failed: {exc}"
        return Structured(first, error=failed, repair=repair)
    second.usage = add_usage(first.usage, second.usage)
    value, still = check(second.text, schema)
    if still is not None:
        repair["answer_error"] = still
        failed = f"structured output: {still} (after one repair attempt; first: {problem})"
        return Structured(second, error=failed, repair=repair)
    return Structured(second, value, repair=repair)


def replace_messages(request: ChatRequest, messages: tuple[ChatMessage, ...]) -> ChatRequest:
    return msgspec.structs.replace(request, messages=messages)


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_PROBLEM else text[: _MAX_PROBLEM - 1] + "…"

"""Conditions shared by if/else cases, loop break conditions and list filters."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import msgspec

from flowstead.engine.templates import has_template

Operator = Literal[
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "is",
    "is_not",
    "empty",
    "not_empty",
    "in",
    "not_in",
    "all_of",
    "=",
    "!=",
    ">",
    "<",
    ">=",
    "<=",
    "null",
    "not_null",
    "exists",
    "not_exists",
]
UNARY: frozenset[str] = frozenset(
    {"empty", "not_empty", "null", "not_null", "exists", "not_exists"}
)


class Condition(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """`variable` is a selector (for list filters: a key of each item, or "" for the item
    itself); `value` is a literal, or a template string rendered before comparing."""

    variable: str
    op: Operator
    value: Any = None


Combine = Literal["and", "or"]


class ConditionError(ValueError):
    """A condition cannot compare these values (a node turns this into a failure)."""


def check(
    conditions: Sequence[Condition],
    combine: Combine,
    read: Callable[[str], Any],
    render: Callable[[str], str],
) -> bool:
    """Whether `conditions` hold, combined with and/or, short-circuiting like Dify.

    `read(variable)` gives the actual value (None when missing); `render` expands template
    strings in expected values. No conditions hold vacuously for `and`, never for `or`."""
    for condition in conditions:
        expected = condition.value
        if condition.op not in UNARY and isinstance(expected, str) and has_template(expected):
            expected = render(expected)
        result = evaluate(condition.op, read(condition.variable), expected)
        if combine == "and" and not result:
            return False
        if combine == "or" and result:
            return True
    return combine == "and"


def evaluate(op: str, actual: Any, expected: Any) -> bool:
    """Apply one operator; raises `ConditionError` when the values do not fit it."""
    try:
        test = _OPERATORS[op]
    except KeyError:
        raise ConditionError(f"unknown operator `{op}`") from None
    return test(actual, expected)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict | tuple) and not value)


def _number(value: Any, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ConditionError(f"{what} {value!r} is not a number")


def _maybe_number(value: Any) -> float | None:
    try:
        return _number(value, "")
    except ConditionError:
        return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def _as_list(expected: Any, op: str) -> list[Any]:
    if isinstance(expected, list | tuple):
        return list(expected)
    if isinstance(expected, str):
        try:
            parsed = json.loads(expected)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    raise ConditionError(f"`{op}` expects a list to compare with, got {expected!r}")


def _same(a: Any, b: Any) -> bool:
    """Equality that lets text stand for numbers and booleans (template values are text)."""
    if a == b and type(a) is type(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return _boolean(a) is not None and _boolean(a) == _boolean(b)
    x, y = _maybe_number(a), _maybe_number(b)
    if x is not None and y is not None:
        return x == y
    return a == b


def _contains(actual: Any, expected: Any) -> bool:
    if is_empty(actual):
        return False
    if isinstance(actual, str):
        return str(expected) in actual
    if isinstance(actual, list | tuple):
        return any(_same(item, expected) for item in actual)
    if isinstance(actual, Mapping):
        return str(expected) in actual
    raise ConditionError(f"`contains` needs text or a list, got {type(actual).__name__}")


def _text(actual: Any, op: str) -> str:
    if not isinstance(actual, str):
        raise ConditionError(f"`{op}` needs text, got {type(actual).__name__}")
    return actual


def _is(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    if isinstance(actual, bool):
        wanted = _boolean(expected)
        if wanted is None:
            raise ConditionError(f"`is` compares a boolean with {expected!r}")
        return actual is wanted
    if isinstance(actual, str):
        return actual == ("" if expected is None else str(expected))
    raise ConditionError(f"`is` needs text or a boolean, got {type(actual).__name__}")


def _equal(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    if isinstance(actual, bool):
        wanted = _boolean(expected)
        if wanted is None:
            raise ConditionError(f"`=` compares a boolean with {expected!r}")
        return actual is wanted
    if isinstance(actual, int | float):
        return float(actual) == _number(expected, "expected value")
    return _same(actual, expected)


def _compare(test: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        if actual is None:
            return False
        return test(_number(actual, "value"), _number(expected, "expected value"))

    return compare


def _in(actual: Any, expected: Any) -> bool:
    options = _as_list(expected, "in")
    if is_empty(actual):
        return False
    return any(_same(actual, option) for option in options)


def _all_of(actual: Any, expected: Any) -> bool:
    wanted = _as_list(expected, "all_of")
    if is_empty(actual):
        return False
    if isinstance(actual, str):
        return all(str(item) in actual for item in wanted)
    if isinstance(actual, list | tuple):
        return all(any(_same(item, w) for item in actual) for w in wanted)
    raise ConditionError(f"`all_of` needs a list, got {type(actual).__name__}")


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "contains": _contains,
    "not_contains": lambda a, e: not _contains(a, e),
    "starts_with": lambda a, e: a is not None and _text(a, "starts_with").startswith(str(e)),
    "ends_with": lambda a, e: a is not None and _text(a, "ends_with").endswith(str(e)),
    "is": _is,
    "is_not": lambda a, e: a is not None and not _is(a, e),
    "empty": lambda a, _e: is_empty(a),
    "not_empty": lambda a, _e: not is_empty(a),
    "in": _in,
    "not_in": lambda a, e: not _in(a, e),
    "all_of": _all_of,
    "=": _equal,
    "!=": lambda a, e: a is not None and not _equal(a, e),
    ">": _compare(lambda a, e: a > e),
    "<": _compare(lambda a, e: a < e),
    ">=": _compare(lambda a, e: a >= e),
    "<=": _compare(lambda a, e: a <= e),
    "null": lambda a, _e: a is None,
    "not_null": lambda a, _e: a is not None,
    "exists": lambda a, _e: a is not None,
    "not_exists": lambda a, _e: a is None,
}

"""Condition evaluation: every operator, and/or, and the errors of values that do not fit."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from flowstead.engine.conditions import Condition, ConditionError, Operator, check, evaluate

CASES: list[tuple[str, Any, Any, bool]] = [
    ("contains", "hello world", "world", True),
    ("contains", "hello", "bye", False),
    ("contains", ["a", "b"], "b", True),
    ("contains", [1, 2], "2", True),
    ("contains", [], "a", False),
    ("contains", None, "a", False),
    ("not_contains", "hello", "bye", True),
    ("not_contains", ["a"], "a", False),
    ("not_contains", None, "a", True),
    ("starts_with", "hello", "he", True),
    ("starts_with", "hello", "lo", False),
    ("starts_with", None, "he", False),
    ("ends_with", "hello", "lo", True),
    ("ends_with", "hello", "he", False),
    ("is", "yes", "yes", True),
    ("is", "yes", "no", False),
    ("is", True, "true", True),
    ("is", False, True, False),
    ("is", None, "x", False),
    ("is_not", "yes", "no", True),
    ("is_not", "yes", "yes", False),
    ("is_not", None, "x", False),
    ("empty", "", None, True),
    ("empty", [], None, True),
    ("empty", {}, None, True),
    ("empty", None, None, True),
    ("empty", 0, None, False),
    ("empty", "x", None, False),
    ("not_empty", [1], None, True),
    ("not_empty", "", None, False),
    ("in", "b", ["a", "b"], True),
    ("in", "c", ["a", "b"], False),
    ("in", 2, '["1", "2"]', True),
    ("in", "", ["a"], False),
    ("not_in", "c", ["a", "b"], True),
    ("not_in", "a", ["a"], False),
    ("all_of", ["a", "b", "c"], ["a", "c"], True),
    ("all_of", ["a"], ["a", "b"], False),
    ("all_of", "abc", ["a", "c"], True),
    ("all_of", [], ["a"], False),
    ("=", 3, "3", True),
    ("=", 3.5, 3.5, True),
    ("=", "3", "3.0", True),
    ("=", "abc", "abc", True),
    ("=", "abc", "abd", False),
    ("=", True, "true", True),
    ("=", None, 1, False),
    ("!=", 3, 4, True),
    ("!=", 3, "3", False),
    ("!=", None, 1, False),
    (">", 5, 3, True),
    (">", "10", "9", True),
    (">", 2, "2.5", False),
    (">", None, 1, False),
    ("<", 2, 3, True),
    ("<", 3, 3, False),
    (">=", 3, 3, True),
    (">=", 2, 3, False),
    ("<=", 3, "3", True),
    ("<=", 4, 3, False),
    ("null", None, None, True),
    ("null", 0, None, False),
    ("not_null", "", None, True),
    ("not_null", None, None, False),
    ("exists", 0, None, True),
    ("exists", None, None, False),
    ("not_exists", None, None, True),
    ("not_exists", "x", None, False),
]


@pytest.mark.parametrize(("op", "actual", "expected", "holds"), CASES)
def test_operator(op: str, actual: Any, expected: Any, holds: bool) -> None:
    assert evaluate(op, actual, expected) is holds


def test_every_operator_is_covered() -> None:
    assert {case[0] for case in CASES} == set(get_args(Operator))


@pytest.mark.parametrize(
    ("op", "actual", "expected", "error"),
    [
        (">", "many", 3, "value 'many' is not a number"),
        (">", 3, "many", "expected value 'many' is not a number"),
        ("<", [1], 3, "is not a number"),
        ("=", 3, "three", "expected value 'three' is not a number"),
        ("=", True, "maybe", "`=` compares a boolean"),
        ("in", "a", "a,b", "`in` expects a list"),
        ("all_of", ["a"], "a", "`all_of` expects a list"),
        ("all_of", 5, ["a"], "`all_of` needs a list"),
        ("contains", 5, "5", "`contains` needs text or a list"),
        ("starts_with", 5, "5", "`starts_with` needs text"),
        ("is", [1], "x", "`is` needs text or a boolean"),
        ("is", True, "maybe", "`is` compares a boolean"),
        ("between", 1, 2, "unknown operator `between`"),
    ],
)
def test_values_that_do_not_fit_the_operator_raise(
    op: str, actual: Any, expected: Any, error: str
) -> None:
    with pytest.raises(ConditionError, match=error.replace("[", r"\[").replace("(", r"\(")):
        evaluate(op, actual, expected)


VALUES = {"n": 5, "s": "hello"}


def read(selector: str) -> Any:
    return VALUES.get(selector)


def render(source: str) -> str:
    return source.replace("{{ limit }}", "4")


def test_and_needs_all_and_or_needs_one() -> None:
    true, false = Condition("n", ">", 1), Condition("n", ">", 10)
    assert check([true, true], "and", read, render)
    assert not check([true, false], "and", read, render)
    assert check([false, true], "or", read, render)
    assert not check([false, false], "or", read, render)
    assert check([], "and", read, render)
    assert not check([], "or", read, render)


def test_evaluation_stops_at_the_first_decisive_condition() -> None:
    bad = Condition("s", ">", 1)  # would raise: "hello" is not a number
    assert not check([Condition("n", ">", 10), bad], "and", read, render)
    assert check([Condition("n", ">", 1), bad], "or", read, render)


def test_template_values_are_rendered_before_comparing() -> None:
    assert check([Condition("n", ">", "{{ limit }}")], "and", read, render)
    assert not check([Condition("n", ">", "{{ limit }}0")], "and", read, render)

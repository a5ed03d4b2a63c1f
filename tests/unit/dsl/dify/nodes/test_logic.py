"""If/else: cases, the legacy form, operators, values and branch handles."""

from __future__ import annotations

import pytest
import yaml

from flowstead.dsl.dify import ImportResult, export_dify, import_dify
from flowstead.dsl.dify.nodes.logic import OPERATORS
from flowstead.engine.conditions import Operator
from tests.unit.dsl.dify.builders import config, edge, imported, messages, node

Q = ["1711528914102", "question"]


def condition(op: str, value: object = "", **extra: object) -> dict[str, object]:
    return {"id": "c", "variable_selector": Q, "comparison_operator": op, "value": value, **extra}


def test_cases_and_handles() -> None:
    result = imported(
        node(
            "2",
            "if-else",
            cases=[
                {
                    "case_id": "true",
                    "logical_operator": "and",
                    "conditions": [condition("contains", "{{#sys.query#}}")],
                },
                {
                    "case_id": "c2",
                    "logical_operator": "or",
                    "conditions": [condition("≥", "3", varType="number"), condition("not empty")],
                },
            ],
        ),
        node("3", "answer", answer="a"),
        node("4", "answer", answer="b"),
        node("5", "answer", answer="c"),
        edges=[edge("2", "3", "true"), edge("2", "4", "c2"), edge("2", "5", "false")],
    )
    assert config(result, "2") == {
        "cases": [
            {
                "id": "true",
                "conditions": [
                    {"variable": "start.question", "op": "contains", "value": "{{ sys.query }}"}
                ],
            },
            {
                "id": "c2",
                "operator": "or",
                "conditions": [
                    {"variable": "start.question", "op": ">=", "value": 3},
                    {"variable": "start.question", "op": "not_empty"},
                ],
            },
        ]
    }
    handles = {(e.to, e.handle) for e in result.document.edges}
    assert handles == {("answer", "true"), ("answer_2", "c2"), ("answer_3", "else")}


def test_legacy_single_condition_list() -> None:
    result = imported(
        node(
            "2",
            "if-else",
            logical_operator="or",
            conditions=[condition("start with", "Hi"), condition("is", "x")],
        )
    )
    assert config(result, "2") == {
        "cases": [
            {
                "id": "true",
                "operator": "or",
                "conditions": [
                    {"variable": "start.question", "op": "starts_with", "value": "Hi"},
                    {"variable": "start.question", "op": "is", "value": "x"},
                ],
            }
        ]
    }


@pytest.mark.parametrize(
    ("dify", "flowstead"),
    [
        ("≠", "!="),
        ("≥", ">="),
        ("≤", "<="),
        ("start with", "starts_with"),
        ("end with", "ends_with"),
        ("not contains", "not_contains"),
        ("is not", "is_not"),
        ("not empty", "not_empty"),
        ("all of", "all_of"),
        ("not in", "not_in"),
        ("null", "null"),
        ("not null", "not_null"),
        ("exists", "exists"),
        ("not exists", "not_exists"),
    ],
)
def test_operator_spellings(dify: str, flowstead: Operator) -> None:
    assert OPERATORS[dify] == flowstead


def test_unknown_operators_drop_the_condition() -> None:
    result = imported(
        node(
            "2", "if-else", cases=[{"case_id": "true", "conditions": [condition("before", "2024")]}]
        )
    )
    assert config(result, "2") == {"cases": [{"id": "true"}]}
    assert messages(result) == [
        "the condition operator 'before' is not supported; that condition was dropped"
    ]


def test_conditions_inside_files_are_flagged() -> None:
    sub = {"conditions": [{"key": "type", "comparison_operator": "in", "value": ["image"]}]}
    result = imported(
        node(
            "2",
            "if-else",
            cases=[
                {
                    "case_id": "true",
                    "conditions": [
                        {
                            "variable_selector": ["sys", "files"],
                            "comparison_operator": "contains",
                            "sub_variable_condition": sub,
                            "varType": "array[file]",
                        }
                    ],
                }
            ],
        )
    )
    assert config(result, "2")["cases"][0]["conditions"] == [
        {"variable": "sys.files", "op": "not_empty"}
    ]
    assert result.entries("error")[0].message.startswith(
        "a condition looks inside the files of `sys.files` (type in ['image'])"
    )


TURNS = ["sys", "dialogue_count"]


def _turn_branches(version: str) -> ImportResult:
    return imported(
        node(
            "2",
            "if-else",
            cases=[
                {
                    "case_id": "first",
                    "conditions": [
                        {"variable_selector": TURNS, "comparison_operator": "=", "value": "0"}
                    ],
                },
                {
                    "case_id": "later",
                    "conditions": [
                        {"variable_selector": TURNS, "comparison_operator": "≥", "value": "2"},
                        {"variable_selector": TURNS, "comparison_operator": "not empty"},
                    ],
                },
            ],
        ),
        node("3", "answer", answer="turn {{#sys.dialogue_count#}}"),
        mode="advanced-chat",
        version=version,
    )


@pytest.mark.parametrize("version", ["0.1.5", "0.3.1"])
def test_turn_counts_of_dify_before_1_9_are_moved_to_start_at_1(version: str) -> None:
    result = _turn_branches(version)
    cases = config(result, "2")["cases"]
    assert [c["value"] for c in cases[0]["conditions"]] == [1]
    assert [c.get("value") for c in cases[1]["conditions"]] == [3, None]
    assert messages(result, "if_else") == [
        "Dify before 1.9 counted the first turn (`sys.dialogue_count`) as 0, Flowstead "
        "counts it as 1; the numbers its conditions compare the count with were raised by 1"
    ]
    (warning,) = [e for e in result.report if e.node_id == "answer"]
    assert warning.severity == "warning"
    assert "Dify before 1.9 counted from 0" in warning.message


@pytest.mark.parametrize("version", ["0.4.0", "0.5.0"])
def test_turn_counts_of_dify_1_9_and_later_are_kept(version: str) -> None:
    result = _turn_branches(version)
    cases = config(result, "2")["cases"]
    assert [c["value"] for c in cases[0]["conditions"]] == [0]
    assert not [e for e in result.report if "dialogue_count" in e.message]


def test_turn_counts_export_as_dify_before_1_9_reads_them() -> None:
    result = _turn_branches("0.3.1")
    exported = yaml.safe_load(export_dify(result.document))
    assert exported["version"] == "0.3.1"
    (if_else,) = [n["data"] for n in exported["workflow"]["graph"]["nodes"] if n["id"] == "if_else"]
    assert [c["value"] for c in if_else["cases"][0]["conditions"]] == ["0"]
    assert import_dify(export_dify(result.document)).document == result.document

"""Node forms derived from config models: the controls they get and reading them back."""

from __future__ import annotations

from typing import Any

from flowstead.engine.nodes.http import HttpConfig
from flowstead.engine.nodes.if_else import IfElseConfig
from flowstead.engine.nodes.llm import LLMConfig
from flowstead.engine.nodes.variable_aggregator import VariableAggregatorConfig
from flowstead.web import forms


def by_name(fields: list[forms.FormField]) -> dict[str, forms.FormField]:
    found: dict[str, forms.FormField] = {}
    for f in fields:
        found[f.name] = f
        found.update(by_name(f.children))
        for _, row in f.rows:
            found.update(by_name(row))
    return found


def read(values: dict[str, str]) -> forms.Form:
    return forms.form_reader({k: [v] for k, v in values.items()})


def parse(
    config_type: Any, values: dict[str, str], old: dict[str, Any], action: str | None = None
) -> forms.Parsed:
    return forms.parse(config_type, read(values), list(values), old, action)


def test_controls_follow_the_model() -> None:
    config = {
        "model": {"provider": "local", "name": "m"},
        "messages": [{"role": "user", "text": "{{ a.b }}"}],
    }
    fields = by_name(
        forms.fields(LLMConfig, config, {"providers": ["local", "cloud"], "selectors": "vars"})
    )
    assert fields["c.model.provider"].widget == "select"
    assert fields["c.model.provider"].options == ("", "local", "cloud")
    assert fields["c.model.temperature"].widget == "number"
    assert fields["c.model.max_tokens"].step == "1"
    assert fields["c.system"].widget == "textarea"
    assert fields["c.system"].kind == "template"
    assert fields["c.messages"].widget == "list"
    assert set(fields["c.messages.0.role"].options) == {"system", "user", "assistant"}
    assert fields["c.messages.0.text"].value == "{{ a.b }}"
    assert fields["c.context"].kind == "selector"
    assert fields["c.context"].datalist == "vars"
    assert fields["c.memory"].widget == "group"
    assert not fields["c.memory"].enabled
    assert fields["c.json_schema"].widget == "json"
    assert fields["c.reasoning_format"].value == "separated"


def test_an_unknown_provider_stays_choosable() -> None:
    fields = by_name(forms.fields(LLMConfig, {"model": {"provider": "gone"}}, {"providers": ["a"]}))
    assert fields["c.model.provider"].options == ("", "a", "gone")


def test_reading_nested_values_and_types() -> None:
    values = {
        "c.method": "POST",
        "c.url": "https://x/{{ start.q }}",
        "c.connect_timeout": "2.5",
        "c.headers._list": "1",
        "c.headers.0._item": "1",
        "c.headers.0.key": "X-A",
        "c.headers.0.value": "1",
        "c.body.type": "json",
        "c.body.content": '{"a": 1}',
        "c.body.fields._list": "1",
    }
    parsed = parse(HttpConfig, values, {})
    assert parsed.errors == {}
    assert parsed.config == {
        "method": "POST",
        "url": "https://x/{{ start.q }}",
        "connect_timeout": 2.5,
        "headers": [{"key": "X-A", "value": "1"}],
        "body": {"type": "json", "content": '{"a": 1}'},
    }


def test_a_choice_outside_the_model_is_an_error() -> None:
    parsed = parse(HttpConfig, {"c.method": "BREW"}, {"method": "GET"})
    assert parsed.errors["c.method"].startswith("choose one of")
    assert parsed.config.get("method", "GET") == "GET"


def test_any_values_read_json_when_they_look_like_it() -> None:
    old = {"cases": [{"id": "c", "conditions": [{"variable": "a.b", "op": "=", "value": 1}]}]}
    base = {
        "c.cases._list": "1",
        "c.cases.0._item": "1",
        "c.cases.0.id": "c",
        "c.cases.0.conditions._list": "1",
        "c.cases.0.conditions.0._item": "1",
        "c.cases.0.conditions.0.variable": "a.b",
        "c.cases.0.conditions.0.op": "=",
    }
    for typed, value in (
        ("3", 3),
        ("true", True),
        ("[1, 2]", [1, 2]),
        ("hello", "hello"),
        ("{oops", "{oops"),
    ):
        parsed = parse(IfElseConfig, {**base, "c.cases.0.conditions.0.value": typed}, old)
        assert parsed.config["cases"][0]["conditions"][0]["value"] == value, typed


def test_rows_added_and_removed_by_action() -> None:
    old = {"cases": [{"id": "a"}, {"id": "b"}]}
    base = {
        "c.cases._list": "1",
        "c.cases.0._item": "1",
        "c.cases.0.id": "a",
        "c.cases.1._item": "1",
        "c.cases.1.id": "b",
    }
    added = parse(IfElseConfig, base, old, "add:c.cases")
    assert [c["id"] for c in added.config["cases"]] == ["a", "b", ""]
    removed = parse(IfElseConfig, base, old, "remove:c.cases.0")
    assert [c["id"] for c in removed.config["cases"]] == ["b"]


def test_lists_of_text_are_lines() -> None:
    fields = by_name(forms.fields(VariableAggregatorConfig, {"variables": ["a.x", "b.y"]}))
    assert fields["c.variables"].widget == "lines"
    assert fields["c.variables"].kind == "selector"
    assert fields["c.variables"].value == "a.x\nb.y"
    parsed = parse(VariableAggregatorConfig, {"c.variables": "a.x\r\n\r\n c.z \n"}, {})
    assert parsed.config["variables"] == ["a.x", "c.z"]


def test_fields_not_in_the_form_keep_their_values() -> None:
    old = {"model": {"provider": "p", "name": "m"}, "system": "be brief"}
    parsed = parse(LLMConfig, {"c.system": "be long"}, old)
    assert parsed.config["model"] == {"provider": "p", "name": "m"}
    assert parsed.config["system"] == "be long"


def test_defaults_are_left_out() -> None:
    parsed = parse(HttpConfig, {"c.method": "GET", "c.connect_timeout": "10", "c.url": ""}, {})
    assert parsed.config == {}

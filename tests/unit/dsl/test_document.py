"""Parsing, dumping and the published schema of the workflow document."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from flowstead.dsl.document import (
    DocumentError,
    dump_json,
    dump_yaml,
    from_data,
    parse,
    to_data,
)
from flowstead.engine.schema import workflow_schema

ROOT = Path(__file__).resolve().parents[3]

TEXT = """
flowstead: 1
name: Ask
mode: chat
nodes:
  - id: start
    type: start
    position: {x: 10, y: 20}
    config:
      inputs:
        - {name: topic, type: select, options: ["yes", "no", "off"]}
        - {name: notes, type: paragraph, required: false, max_length: 400}
  - id: llm
    type: llm
    title: Write
    retry: {max_attempts: 2, interval: 0.5}
    on_error: {strategy: default_value, default: {text: sorry}}
    config: {messages: [{role: user, text: "{{ start.topic }}"}]}
  - {id: answer, type: answer, config: {text: "{{ llm.text }}"}}
edges:
  - {from: start, to: llm}
  - {from: llm, to: answer}
environment:
  - {name: API_BASE, value: "http://localhost"}
  - {name: TOKEN, type: secret, value: s3cret}
conversation_variables:
  - {name: facts, type: "array[string]", default: []}
"""


def test_parse_yaml_reads_every_part() -> None:
    doc = parse(TEXT)
    assert doc.mode == "chat"
    assert [n.id for n in doc.nodes] == ["start", "llm", "answer"]
    assert doc.nodes[1].retry is not None
    assert doc.nodes[1].retry.max_attempts == 2
    assert doc.nodes[1].on_error is not None
    assert doc.nodes[1].on_error.default == {"text": "sorry"}
    assert doc.edges[0].source == "start"
    assert doc.edges[0].handle is None
    assert doc.environment[1].type == "secret"
    assert doc.conversation_variables[0].default == []


def test_yes_no_and_off_stay_strings() -> None:
    options = parse(TEXT).nodes[0].config["inputs"][0]["options"]
    assert options == ["yes", "no", "off"]


def test_yaml_round_trip_is_stable() -> None:
    once = dump_yaml(parse(TEXT))
    assert dump_yaml(parse(once)) == once
    assert parse(once) == parse(TEXT)


def test_json_round_trip_and_json_input() -> None:
    text = dump_json(parse(TEXT))
    assert json.loads(text)["flowstead"] == 1
    assert parse(text) == parse(TEXT)
    assert dump_json(parse(text)) == text


def test_dump_omits_defaults_and_uses_from() -> None:
    data = to_data(parse(TEXT))
    assert data["edges"][0] == {"from": "start", "to": "llm"}
    assert "parent" not in data["nodes"][0]
    assert next(iter(data)) == "flowstead"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nodes: [", "not valid YAML or JSON"),
        ('{"nodes": [}', "not valid YAML or JSON"),
        ("- a\n- b\n", "must be a mapping"),
        ("flowstead: 2\nnodes: []\n", "unsupported format version 2"),
        ("nodes: [{id: a}]\n", "Object missing required field `type` - at `$.nodes[0]`"),
        ("nodes: []\ncolour: red\n", "unknown field `colour`"),
        ("edges: [{from: a}]\n", "missing required field `to`"),
        ("mode: batch\n", "Invalid enum value 'batch' - at `$.mode`"),
    ],
)
def test_bad_documents_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse(text)
    assert message in str(caught.value)


def test_from_data_rejects_non_mappings() -> None:
    with pytest.raises(DocumentError):
        from_data(["nodes"])


def test_published_schema_is_current_and_valid() -> None:
    published = json.loads((ROOT / "schema" / "workflow-v1.schema.json").read_text())
    assert published == workflow_schema(), "regenerate with `flowstead schema > schema/…`"
    jsonschema.Draft202012Validator.check_schema(published)


def test_schema_accepts_documents_and_checks_configs() -> None:
    validator = jsonschema.Draft202012Validator(workflow_schema())
    assert list(validator.iter_errors(to_data(parse(TEXT)))) == []
    bad = to_data(parse(TEXT))
    bad["nodes"][1]["config"]["messages"][0]["role"] = "robot"
    assert list(validator.iter_errors(bad))

"""Start, End and Answer."""

from __future__ import annotations

from flowstead.dsl.dify import import_dify
from tests.unit.dsl.dify.builders import config, dsl, edge, imported, node


def test_start_inputs_of_every_type() -> None:
    variables = [
        {
            "variable": "name",
            "label": "Name",
            "type": "text-input",
            "max_length": 48,
            "required": True,
        },
        {"variable": "body", "label": "body", "type": "paragraph", "max_length": None},
        {
            "variable": "size",
            "label": "Size",
            "type": "select",
            "options": ["S", "M"],
            "default": "M",
            "max_length": 48,
            "hint": "pick one",
        },
        {"variable": "count", "label": "Count", "type": "number", "max_length": 48},
        {"variable": "ok", "label": "OK", "type": "checkbox"},
        {"variable": "data", "label": "Data", "type": "json_object"},
        {"variable": "doc", "label": "Doc", "type": "file", "allowed_file_types": ["document"]},
        {"variable": "docs", "label": "Docs", "type": "file-list"},
        {"variable": "ext", "label": "Ext", "type": "external_data_tool"},
    ]
    result = import_dify(dsl(node("1", "start", variables=variables)))
    assert config(result, "1")["inputs"] == [
        {"name": "name", "label": "Name", "max_length": 48},
        {"name": "body", "type": "paragraph", "required": False},
        {
            "name": "size",
            "type": "select",
            "label": "Size",
            "required": False,
            "default": "M",
            "options": ["S", "M"],
            "description": "pick one",
        },
        {"name": "count", "type": "number", "label": "Count", "required": False},
        {"name": "ok", "type": "checkbox", "label": "OK", "required": False},
        {"name": "data", "type": "json", "label": "Data", "required": False},
        {"name": "doc", "type": "file", "label": "Doc", "required": False},
        {"name": "docs", "type": "files", "label": "Docs", "required": False},
        {"name": "ext", "label": "Ext", "required": False},
    ]
    assert result.report[0].message == (
        "the input 'ext' has the Dify type 'external_data_tool', "
        "which Flowstead lacks; it became a text input"
    )


def test_end_outputs_and_answer_text() -> None:
    result = imported(
        node(
            "2",
            "end",
            outputs=[
                {"variable": "q", "value_selector": ["1711528914102", "question"]},
                {"variable": "when", "value_selector": ["sys", "timestamp"]},
            ],
        ),
        node("3", "answer", answer="You asked: {{#1711528914102.question#}}"),
        edges=[edge("1711528914102", "2")],
    )
    assert config(result, "2") == {
        "outputs": [
            {"name": "q", "value": "start.question"},
            {"name": "when", "value": "sys.timestamp"},
        ]
    }
    assert config(result, "3") == {"text": "You asked: {{ start.question }}"}

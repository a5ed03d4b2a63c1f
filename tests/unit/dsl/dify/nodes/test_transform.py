"""Code, template, aggregator, assigner, list operator and document extractor."""

from __future__ import annotations

from tests.unit.dsl.dify.builders import config, imported, messages, node

Q = ["1711528914102", "question"]


def test_code() -> None:
    result = imported(
        node(
            "2",
            "code",
            code_language="python3",
            code="def main(q):\n    return {'n': 1}\n",
            variables=[{"variable": "q", "value_selector": Q}],
            outputs={
                "n": {"type": "number", "children": None},
                "f": {"type": "array[file]", "children": None},
            },
        )
    )
    assert config(result, "2") == {
        "code": "def main(q):\n    return {'n': 1}\n",
        "inputs": [{"name": "q", "value": "start.question"}],
        "outputs": {"n": "number", "f": "any"},
    }
    assert messages(result) == [
        "the output 'f' has the type 'array[file]', which Flowstead lacks; it became `any`"
    ]


def test_template_variables_become_a_prologue() -> None:
    result = imported(
        node("2", "code", code="", variables=[], outputs={"result": {"type": "string"}}),
        node(
            "3",
            "template-transform",
            template="{{ arg1 }} / {{ q | upper }}",
            variables=[
                {"variable": "arg1", "value_selector": ["2", "result"]},
                {"variable": "q", "value_selector": Q},
                {"variable": "empty", "value_selector": []},
            ],
        ),
    )
    assert config(result, "3") == {
        "template": "{% set arg1 = code.result %}{% set q = start.question %}"
        "{{ arg1 }} / {{ q | upper }}"
    }
    assert messages(result) == [
        "the template variable 'empty' has no valid name or value and was left out"
    ]


def test_template_names_are_not_taken_by_node_ids() -> None:
    result = imported(
        node("2", "code", code="", variables=[], outputs={}),
        node(
            "3",
            "template-transform",
            template="{{ code }}",
            variables=[{"variable": "code", "value_selector": ["2", "result"]}],
        ),
    )
    assert result.ids["2"] == "code_2"
    assert config(result, "3") == {"template": "{% set code = code_2.result %}{{ code }}"}


def test_aggregator_plain_grouped_and_under_its_old_name() -> None:
    groups = {
        "group_enabled": True,
        "groups": [
            {
                "groupId": "g",
                "group_name": "Group1",
                "output_type": "string",
                "variables": [Q, ["sys", "query"]],
            }
        ],
    }
    result = imported(
        node("2", "variable-aggregator", output_type="string", variables=[Q, ["sys", "query"]]),
        node(
            "3", "variable-aggregator", output_type="string", variables=[], advanced_settings=groups
        ),
        node("4", "variable-assigner", output_type="number", variables=[Q]),
    )
    assert config(result, "2") == {
        "variables": ["start.question", "sys.query"],
        "output_type": "string",
    }
    assert config(result, "3") == {
        "groups": [
            {
                "name": "Group1",
                "output_type": "string",
                "variables": ["start.question", "sys.query"],
            }
        ]
    }
    assert config(result, "4") == {"variables": ["start.question"], "output_type": "number"}


def test_assigner_v1_and_v2() -> None:
    result = imported(
        node(
            "2",
            "assigner",
            assigned_variable_selector=["conversation", "name"],
            input_variable_selector=Q,
            write_mode="over-write",
        ),
        node(
            "3",
            "assigner",
            version="2",
            items=[
                {
                    "variable_selector": ["conversation", "n"],
                    "operation": "+=",
                    "input_type": "constant",
                    "value": 2,
                },
                {
                    "variable_selector": ["conversation", "log"],
                    "operation": "append",
                    "input_type": "variable",
                    "value": ["sys", "query"],
                },
                {"variable_selector": ["conversation", "log"], "operation": "clear", "value": None},
                {"variable_selector": ["conversation", "log"], "operation": "shuffle"},
            ],
        ),
    )
    assert config(result, "2") == {
        "items": [{"variable": "conversation.name", "value": "start.question"}]
    }
    assert config(result, "3") == {
        "items": [
            {"variable": "conversation.n", "operation": "+=", "input_type": "constant", "value": 2},
            {"variable": "conversation.log", "operation": "append", "value": "sys.query"},
            {"variable": "conversation.log", "operation": "clear"},
        ]
    }
    assert messages(result) == [
        "the assignment operation 'shuffle' is not supported; it was dropped"
    ]


def test_list_operator_and_document_extractor() -> None:
    result = imported(
        node(
            "2",
            "list-operator",
            variable=["sys", "files"],
            var_type="array[file]",
            filter_by={
                "enabled": True,
                "conditions": [
                    {"key": "type", "comparison_operator": "in", "value": ["document"]},
                    {"key": "size", "comparison_operator": "<", "value": "1024"},
                ],
            },
            order_by={"enabled": True, "key": "name", "value": "desc"},
            limit={"enabled": True, "size": 3},
            extract_by={"enabled": True, "serial": "2"},
        ),
        node(
            "3",
            "list-operator",
            variable=Q,
            filter_by={"enabled": False},
            order_by={"enabled": False},
            limit={"enabled": False},
            extract_by={"enabled": True, "serial": "{{#sys.query#}}"},
        ),
        node("4", "document-extractor", variable_selector=["2", "result"], is_array_file=True),
    )
    assert config(result, "2") == {
        "variable": "sys.files",
        "filter": {
            "conditions": [
                {"variable": "type", "op": "in", "value": ["document"]},
                {"variable": "size", "op": "<", "value": 1024},
            ]
        },
        "sort": {"key": "name", "order": "desc"},
        "limit": 3,
        "extract": 2,
    }
    assert config(result, "3") == {"variable": "start.question"}
    assert messages(result) == [
        "the item to extract is '{{#sys.query#}}', not a fixed position; extraction was turned off"
    ]
    assert config(result, "4") == {"variable": "list_operator.result"}

"""Iteration and loop containers, their start nodes and children."""

from __future__ import annotations

from tests.unit.dsl.dify.builders import config, edge, imported, messages, node


def test_iteration_children_and_entry() -> None:
    result = imported(
        node("2", "code", code="", variables=[], outputs={"list": {"type": "array[string]"}}),
        node(
            "3",
            "iteration",
            iterator_selector=["2", "list"],
            output_selector=["5", "text"],
            is_parallel=True,
            parallel_nums=4,
            error_handle_mode="continue-on-error",
            flatten_output=True,
            start_node_id="3start",
        ),
        node("3start", "iteration-start", parent="3", isInIteration=True),
        node(
            "4",
            "template-transform",
            parent="3",
            template="{{ x }}",
            variables=[{"variable": "x", "value_selector": ["3", "item"]}],
        ),
        node(
            "5",
            "llm",
            parent="3",
            model={"provider": "openai", "name": "gpt-4o"},
            prompt_template=[{"role": "user", "text": "{{#4.output#}} #{{#3.index#}}"}],
        ),
        edges=[edge("1711528914102", "2"), edge("2", "3"), edge("3start", "4"), edge("4", "5")],
        version="0.1.5",
    )
    assert config(result, "3") == {
        "items": "code.list",
        "output": "llm.text",
        "parallel": True,
        "max_parallel": 4,
        "error_mode": "continue_on_error",
        "flatten": True,
    }
    children = {n.id: n.parent for n in result.document.nodes if n.parent}
    assert children == {"template": "iteration", "llm": "iteration"}
    assert config(result, "4") == {"template": "{% set x = iteration.item %}{{ x }}"}
    assert (
        config(result, "5")["messages"][0]["text"] == "{{ template.output }} #{{ iteration.index }}"
    )
    assert [(e.source, e.to) for e in result.document.edges] == [
        ("start", "code"),
        ("code", "iteration"),
        ("template", "llm"),
    ]


def test_old_iterations_without_a_start_node_and_without_flattening() -> None:
    result = imported(
        node(
            "3",
            "iteration",
            iterator_selector=["sys", "files"],
            output_selector=["4", "text"],
            start_node_id="4",
        ),
        node(
            "4",
            "document-extractor",
            variable_selector=["3", "item"],
            isInIteration=True,
            iteration_id="3",
        ),
        version="0.1.0",
    )
    assert config(result, "3") == {"items": "sys.files", "output": "document_extractor.text"}
    assert result.document.node("document_extractor").parent == "iteration"  # type: ignore[union-attr]


def test_loop_variables_break_conditions_and_loop_end() -> None:
    result = imported(
        node(
            "3",
            "loop",
            loop_count=5,
            logical_operator="or",
            loop_variables=[
                {"label": "n", "var_type": "number", "value_type": "constant", "value": "1"},
                {
                    "label": "seen",
                    "var_type": "array[string]",
                    "value_type": "constant",
                    "value": '["a"]',
                },
                {
                    "label": "q",
                    "var_type": "string",
                    "value_type": "variable",
                    "value": ["sys", "query"],
                },
            ],
            break_conditions=[
                {
                    "variable_selector": ["3", "n"],
                    "comparison_operator": "≥",
                    "value": "5",
                    "varType": "number",
                }
            ],
        ),
        node("3start", "loop-start", parent="3"),
        node(
            "4",
            "assigner",
            parent="3",
            version="2",
            items=[
                {
                    "variable_selector": ["3", "n"],
                    "operation": "+=",
                    "input_type": "constant",
                    "value": 1,
                }
            ],
        ),
        node("5", "loop-end", parent="3"),
        edges=[edge("3start", "4"), edge("4", "5")],
    )
    assert config(result, "3") == {
        "variables": [
            {"name": "n", "type": "number", "value": 1},
            {"name": "seen", "type": "array[string]", "value": ["a"]},
            {"name": "q", "value_type": "variable", "value": "sys.query"},
        ],
        "break_conditions": [{"variable": "loop_1.n", "op": ">=", "value": 5}],
        "operator": "or",
        "max_count": 5,
    }
    assert config(result, "4")["items"][0]["variable"] == "loop_1.n"
    assert result.document.edges == []
    assert [(e.node_id, e.severity) for e in result.report] == [("loop_1", "warning")]
    assert messages(result)[0].startswith("the Loop End node was dropped")

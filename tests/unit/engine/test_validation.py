"""Every validation rule, with the message a person reads."""

from __future__ import annotations

import pytest

from flowstead.dsl.document import parse
from flowstead.engine.validation import Issue, errors, validate

BASIC = """
name: basic
nodes:
  - {id: start, type: start, config: {inputs: [{name: question}]}}
  - id: llm
    type: llm
    config:
      model: {provider: openai, name: gpt-4o-mini}
      messages: [{role: user, text: "{{ start.question }}"}]
  - {id: end, type: end, config: {outputs: [{name: answer, value: llm.text}]}}
edges:
  - {from: start, to: llm}
  - {from: llm, to: end}
"""


def issues_of(text: str) -> list[Issue]:
    return validate(parse(text))


def only(issues: list[Issue], code: str) -> Issue:
    matching = [i for i in issues if i.code == code]
    assert len(matching) == 1, issues
    return matching[0]


def test_a_correct_workflow_has_no_issues() -> None:
    assert issues_of(BASIC) == []


def test_unknown_node_type() -> None:
    text = BASIC.replace("type: llm", "type: magic")
    issue = only(issues_of(text), "unknown_type")
    assert issue.node_id == "llm"
    assert issue.message == "unknown node type `magic`"


def test_bad_config_names_the_field() -> None:
    text = BASIC.replace("{provider: openai, name: gpt-4o-mini}", "{provider: openai, name: 3}")
    issue = only(issues_of(text), "bad_config")
    assert issue.node_id == "llm"
    assert "LLM settings are invalid" in issue.message
    assert "$.model.name" in issue.message


def test_duplicate_ids() -> None:
    text = BASIC.replace("{id: end, type: end,", "{id: llm, type: end,")
    issue = only(issues_of(text), "duplicate_id")
    assert issue.message == "two nodes have the id `llm`"


@pytest.mark.parametrize(
    ("node_id", "fragment"),
    [
        ("1711528915811", "is not a valid node id"),
        ("sys", "is reserved"),
    ],
)
def test_invalid_ids(node_id: str, fragment: str) -> None:
    text = BASIC.replace("id: end", f"id: '{node_id}'").replace("to: end", f"to: '{node_id}'")
    issue = only(issues_of(text), "invalid_id")
    assert fragment in issue.message
    assert issue.node_id == node_id


def test_dangling_edge() -> None:
    text = BASIC + "  - {from: llm, to: ghost}\n"
    issue = only(issues_of(text), "dangling_edge")
    assert issue.message == "an edge llm → ghost points at the missing node `ghost`"


def test_unknown_handle() -> None:
    text = BASIC.replace("{from: llm, to: end}", "{from: llm, to: end, handle: maybe}")
    issue = only(issues_of(text), "unknown_handle")
    assert issue.node_id == "llm"
    assert "`maybe`" in issue.message
    assert "only its default output" in issue.message


def test_fail_branch_handle_needs_the_fail_branch_strategy() -> None:
    text = BASIC.replace("{from: llm, to: end}", "{from: llm, to: end, handle: fail-branch}")
    assert only(issues_of(text), "unknown_handle").node_id == "llm"
    with_strategy = text.replace(
        "    type: llm\n", "    type: llm\n    on_error: {strategy: fail_branch}\n"
    )
    assert issues_of(with_strategy) == []


BRANCHING = """
nodes:
  - {id: start, type: start, config: {inputs: [{name: n, type: number}]}}
  - id: check
    type: if_else
    config:
      cases: [{id: big, conditions: [{variable: start.n, op: ">", value: 10}]}]
  - {id: yes, type: template, config: {template: "big"}}
  - {id: no, type: template, config: {template: "small"}}
  - id: end
    type: end
    config: {outputs: [{name: a, value: yes.output}]}
edges:
  - {from: start, to: check}
  - {from: check, to: yes, handle: big}
  - {from: check, to: no, handle: else}
  - {from: yes, to: end}
  - {from: no, to: end}
"""


def test_branch_handles_are_the_case_ids_and_else() -> None:
    assert issues_of(BRANCHING) == []
    issue = only(issues_of(BRANCHING.replace("handle: big", "handle: huge")), "unknown_handle")
    assert "(it has big, else)" in issue.message


def test_branch_edges_must_name_their_handle() -> None:
    issue = only(issues_of(BRANCHING.replace(", handle: big", "")), "missing_handle")
    assert issue.message == (
        "edges from a If / else node must say which branch they follow (big, else)"
    )


def test_cycle_outside_a_container() -> None:
    text = BASIC + "  - {from: end, to: llm}\n"
    found = issues_of(text)
    issue = only(found, "cycle")
    assert issue.message.startswith("these nodes form a cycle: llm → end → llm")
    assert "Loop or Iteration" in issue.message


def test_unreachable_node_is_a_warning() -> None:
    text = BASIC.replace(
        "edges:", "  - {id: lonely, type: template, config: {template: x}}\nedges:"
    )
    issue = only(issues_of(text), "unreachable")
    assert issue.severity == "warning"
    assert issue.node_id == "lonely"
    assert errors(issues_of(text)) == []


def test_no_start_and_no_end() -> None:
    text = """
nodes:
  - {id: t, type: template, config: {template: x}}
"""
    found = issues_of(text)
    assert only(found, "no_start").message == "the workflow has no Start node"
    assert only(found, "no_end").message == "a workflow needs an End node"


def test_chat_mode_needs_an_answer() -> None:
    text = "mode: chat\n" + BASIC
    assert only(issues_of(text), "no_end").message == "a chat workflow needs an Answer node"


def test_reference_to_a_missing_output() -> None:
    text = BASIC.replace("value: llm.text", "value: llm.answer")
    issue = only(issues_of(text), "missing_reference")
    assert issue.node_id == "end"
    assert "`llm` has no output `answer`" in issue.message
    assert "reasoning, text, usage" in issue.message


def test_reference_to_a_node_that_is_not_upstream() -> None:
    text = BASIC.replace('"{{ start.question }}"', '"{{ end.x }}"')
    issue = only(issues_of(text), "missing_reference")
    assert "does not run before this node" in issue.message


def test_reference_to_a_missing_node_and_an_undefined_variable() -> None:
    text = BASIC.replace('"{{ start.question }}"', '"{{ ghost.x }} {{ env.KEY }} {{ sys.query }}"')
    found = [i.message for i in issues_of(text) if i.code == "missing_reference"]
    assert any("reads `ghost`, but there is no such node" in m for m in found)
    assert any("reads `env.KEY`, which is not defined" in m for m in found)
    assert len(found) == 2


def test_environment_variables_are_known() -> None:
    text = BASIC.replace('"{{ start.question }}"', '"{{ env.KEY }}"') + (
        "environment: [{name: KEY, value: v}]\n"
    )
    assert issues_of(text) == []


def test_template_syntax_error() -> None:
    text = BASIC.replace('"{{ start.question }}"', '"{{ start.question "')
    issue = only(issues_of(text), "template_syntax")
    assert issue.node_id == "llm"
    assert "syntax error on line 1" in issue.message


ITERATION = """
nodes:
  - {id: start, type: start, config: {inputs: [{name: items, type: json}]}}
  - id: each
    type: iteration
    config: {items: start.items, output: shout.output}
  - {id: shout, type: template, parent: each, config: {template: "{{ each.item }}!"}}
  - {id: end, type: end, config: {outputs: [{name: all, value: each.output}]}}
edges:
  - {from: start, to: each}
  - {from: each, to: end}
"""


def test_iteration_children_read_item_and_the_container_output() -> None:
    assert issues_of(ITERATION) == []
    issue = only(issues_of(ITERATION.replace("each.item", "each.value")), "missing_reference")
    assert "inside `each` only index, item can be read" in issue.message


def test_iteration_output_must_be_a_child() -> None:
    issue = only(
        issues_of(ITERATION.replace("output: shout.output", "output: start.items")),
        "missing_reference",
    )
    assert issue.node_id == "each"
    assert "must read a node inside this container" in issue.message


def test_edges_do_not_cross_containers() -> None:
    text = ITERATION + "  - {from: shout, to: end}\n"
    issue = only(issues_of(text), "cross_container_edge")
    assert issue.node_id == "shout"


def test_a_parent_must_be_a_container() -> None:
    text = ITERATION.replace("parent: each", "parent: end")
    issue = only(issues_of(text), "bad_parent")
    assert "`end` is a End node, not an iteration or loop" in issue.message


def test_jinja_loop_variable_and_code_are_not_references() -> None:
    text = BASIC.replace(
        '"{{ start.question }}"', '"{% for c in start.question %}{{ loop.index }}{% endfor %}"'
    ).replace(
        "edges:",
        "  - id: code\n    type: code\n    config:\n      code: |\n"
        "        def main():\n            return {'x': f'{{literal}}'}\n"
        "      outputs: {x: string}\nedges:\n  - {from: start, to: code}",
    )
    assert [i for i in issues_of(text) if i.severity == "error"] == []


def test_answer_and_end_stay_at_the_top_level() -> None:
    text = ITERATION.replace(
        "edges:", "  - {id: say, type: answer, parent: each, config: {text: hi}}\nedges:"
    )
    issue = only(issues_of(text), "bad_parent")
    assert issue.node_id == "say"
    assert issue.message == "Answer nodes cannot be inside an iteration or loop"

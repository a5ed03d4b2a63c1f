"""Compiling a document: typed configs, the graph, and refusing what cannot run."""

from __future__ import annotations

import pytest

from flowstead.dsl.document import parse
from flowstead.engine.engine import CompiledWorkflow, WorkflowInvalid
from flowstead.engine.nodes.template import TemplateConfig


def test_compile_types_configs_and_indexes_the_graph() -> None:
    compiled = CompiledWorkflow.compile(
        parse("""
flowstead: 1
nodes:
  - {id: start, type: start}
  - {id: each, type: iteration, config: {items: sys.files}}
  - {id: inner, type: template, parent: each, config: {template: "{{ each.item }}"}}
  - {id: end, type: end}
edges:
  - {from: start, to: each}
  - {from: each, to: end}
""")
    )
    root = compiled.root
    assert root.entries == ("start",)
    assert list(root.nodes) == ["start", "each", "end"]
    body = root.nodes["each"].body
    assert body is not None
    assert body.entries == ("inner",)
    assert isinstance(body.nodes["inner"].config, TemplateConfig)
    assert [root.targets[i] for i in root.outgoing["start"]] == ["each"]


def test_compile_refuses_a_document_with_errors_and_lists_them() -> None:
    document = parse("""
flowstead: 1
nodes:
  - {id: start, type: start}
  - {id: a, type: template, config: {template: "{{ b.output }}"}}
  - {id: b, type: template, config: {template: "{{ a.output }}"}}
  - {id: end, type: end}
edges:
  - {from: start, to: a}
  - {from: a, to: b}
  - {from: b, to: a}
  - {from: b, to: end}
""")
    with pytest.raises(WorkflowInvalid) as caught:
        CompiledWorkflow.compile(document)

    assert "cycle" in {issue.code for issue in caught.value.issues}
    assert str(caught.value).startswith("the workflow cannot run: ")


def test_compile_accepts_warnings() -> None:
    compiled = CompiledWorkflow.compile(
        parse("""
flowstead: 1
nodes:
  - {id: start, type: start}
  - {id: end, type: end}
  - {id: orphan, type: template, config: {template: alone}}
edges:
  - {from: start, to: end}
""")
    )
    assert "orphan" in compiled.root.nodes

"""Runs as the pages show them: the run form's inputs, the history, a run's detail with
its graph coloured by node state, and the values a rerun may edit."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flowstead.dsl.document import Document, DocumentError, from_data
from flowstead.engine.nodes.start import StartInput
from flowstead.engine.references import node_references
from flowstead.services import run_views
from flowstead.services.inputs import split_system
from flowstead.services.resume import rerun_nodes
from flowstead.services.runs import TERMINAL
from flowstead.store.protocol import Store
from flowstead.store.records import NodeExecution, Run, Workflow
from flowstead.web import forms
from flowstead.web.canvas import GraphView, graph_view, typed_config

RUN_STATUSES = ("queued", "running", "succeeded", "partial_succeeded", "failed", "stopped")
PAGE = 50


def run_inputs(read: forms.Form, inputs: Iterable[StartInput]) -> tuple[dict[str, Any], str]:
    """The Start inputs from the run form, typed where the form knows better than text
    (checkboxes, JSON); the Start node checks the rest. An error message, or ""."""
    values: dict[str, Any] = {}
    for spec in inputs:
        raw = read(f"in.{spec.name}")
        if spec.type == "checkbox":
            values[spec.name] = raw in ("true", "on")
        elif spec.type in ("file", "files") or raw is None or raw == "":
            continue
        elif spec.type == "json":
            try:
                values[spec.name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                return values, f"{spec.label or spec.name}: not valid JSON ({exc.msg})"
        else:
            values[spec.name] = raw
    return values, ""


@dataclass(frozen=True)
class RunRow:
    run: Run
    workflow_name: str


async def run_rows(
    store: Store, *, status: str | None, workflow_id: str | None, offset: int
) -> list[RunRow]:
    runs = await run_views.list_runs(
        store, status=status or None, workflow_id=workflow_id or None, limit=PAGE, offset=offset
    )
    names: dict[str, str] = {}
    rows = []
    for run in runs:
        if run.workflow_id not in names:
            workflow = await store.workflows.get(run.workflow_id)
            names[run.workflow_id] = workflow.name if workflow else "(deleted)"
        rows.append(RunRow(run, names[run.workflow_id]))
    return rows


@dataclass(frozen=True)
class NodeRow:
    execution: NodeExecution

    @property
    def elapsed(self) -> float | None:
        started, finished = self.execution.started_at, self.execution.finished_at
        return finished - started if started is not None and finished is not None else None


@dataclass
class RunPage:
    run: Run
    workflow: Workflow | None
    document: Document | None
    graph: GraphView | None
    nodes: list[NodeRow]
    inputs: dict[str, Any]
    system: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.run.status in TERMINAL

    @property
    def rerun_of(self) -> str | None:
        return self.run.resumed_from


def node_states(executions: Iterable[NodeExecution]) -> dict[str, str]:
    """Each node's state as the graph colours it (the top-level execution wins)."""
    states: dict[str, str] = {}
    for execution in executions:
        if execution.index == 0 or execution.node_id not in states:
            states[execution.node_id] = execution.status
    return states


async def run_page(store: Store, run_id: str) -> RunPage:
    detail = await run_views.run_detail(store, run_id)
    run = detail.run
    workflow = await store.workflows.get(run.workflow_id)
    document: Document | None = None
    raw = await store.runs.document(run_id)
    if raw is not None:
        try:
            document = from_data(raw)
        except DocumentError:
            document = None
    graph = graph_view(document, [], node_states(detail.nodes)) if document else None
    inputs, system = split_system(run.inputs)
    ordered = sorted(detail.nodes, key=lambda e: (e.started_at or 0.0, e.index))
    return RunPage(run, workflow, document, graph, [NodeRow(e) for e in ordered], inputs, system)


@dataclass(frozen=True)
class EditableValue:
    selector: str
    value: Any
    # "text" (edited as it is) or "json".
    kind: str

    @property
    def shown(self) -> str:
        if self.kind == "text":
            return str(self.value)
        return json.dumps(self.value, ensure_ascii=False, indent=2)


def rerun_values(page: RunPage, node_id: str) -> list[EditableValue]:
    """The reused values `node_id` reads, with what they were in this run: what "rerun
    from this node" lets a person change."""
    if page.document is None or page.document.node(node_id) is None:
        return []
    node = page.document.node(node_id)
    assert node is not None
    from flowstead.engine.nodes import REGISTRY

    config = typed_config(REGISTRY.get(node.type), node)
    if config is None:
        return []
    rerun = rerun_nodes(page.document, node_id)
    outputs = {
        row.execution.node_id: row.execution.outputs or {}
        for row in page.nodes
        if row.execution.index == 0
    }
    found: dict[str, EditableValue] = {}
    for ref in node_references(node.type, config):
        if not ref.root or ref.attr is None or ref.root in rerun or ref.root not in outputs:
            continue
        selector = f"{ref.root}.{ref.attr}"
        if selector in found or ref.attr not in outputs[ref.root]:
            continue
        value = outputs[ref.root][ref.attr]
        found[selector] = EditableValue(
            selector, value, "text" if isinstance(value, str) else "json"
        )
    return list(found.values())


def rerun_edits(
    read: forms.Form, values: Iterable[EditableValue]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The changed values from the rerun form (`edit.<selector>`), and JSON problems."""
    edits: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for value in values:
        raw = read(f"edit.{value.selector}")
        if raw is None or raw == value.shown:
            continue
        if value.kind == "text":
            edits[value.selector] = raw
            continue
        try:
            edits[value.selector] = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors[value.selector] = f"not valid JSON ({exc.msg})"
    return edits, errors

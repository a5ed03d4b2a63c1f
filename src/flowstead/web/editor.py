"""What the editor's side panel shows: a node's form, the values it may read (the
variable picker), its issues, and its own settings (title, error handling, retry)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowstead.dsl.document import Document, Node
from flowstead.engine.node import FAIL_BRANCH, NodeSpec
from flowstead.engine.nodes import REGISTRY
from flowstead.engine.validation import SYS_VARIABLES, Issue, build_graph, visible_nodes
from flowstead.web import forms
from flowstead.web.canvas import handle_labels, typed_config

CHAT_ONLY_SYS = frozenset({"query", "conversation_id", "dialogue_count"})
ERROR_STRATEGIES = (
    ("fail", "Stop the run"),
    ("fail_branch", "Follow the failure branch"),
    ("default_value", "Continue with default outputs"),
)


@dataclass(frozen=True)
class Variable:
    selector: str
    type: str


@dataclass(frozen=True)
class VariableGroup:
    title: str
    items: list[Variable]


@dataclass(frozen=True)
class Connection:
    handle: str
    handle_label: str
    target: str
    target_title: str


@dataclass
class NodePanel:
    node: Node
    spec: NodeSpec[Any] | None
    fields: list[forms.FormField]
    issues: list[Issue]
    variables: list[VariableGroup]
    containers: list[Node]
    datalist_id: str
    # Where this node's edges lead, the handles it can connect from, and the nodes it can
    # connect to: the keyboard's way to draw edges.
    connections: list[Connection] = field(default_factory=list)
    handles: list[tuple[str, str]] = field(default_factory=list)
    targets: list[Node] = field(default_factory=list)

    @property
    def selectors(self) -> list[str]:
        return [item.selector for group in self.variables for item in group.items]

    @property
    def on_error(self) -> str:
        return self.node.on_error.strategy if self.node.on_error else "fail"

    @property
    def default_outputs(self) -> str:
        if self.node.on_error is None or not self.node.on_error.default:
            return ""
        return json.dumps(self.node.on_error.default, ensure_ascii=False, indent=2)


def variable_groups(document: Document, node_id: str) -> list[VariableGroup]:
    """The values a node may read: upstream outputs, its container's, sys, env and
    conversation variables — what the picker lists and validation accepts."""
    graph = build_graph(document)
    if node_id not in graph.nodes:
        return []
    groups: list[VariableGroup] = []
    visible = visible_nodes(graph, node_id)
    order = {node.id: index for index, node in enumerate(document.nodes)}
    for other_id in sorted(visible, key=lambda n: order.get(n, 0)):
        node, config, spec = (
            graph.nodes[other_id],
            graph.configs.get(other_id),
            graph.spec(other_id),
        )
        if spec is None or config is None:
            continue
        title = node.title or spec.label
        if visible[other_id] == "container":
            names = ["item", "index"] if node.type == "iteration" else ["index"]
            if node.type == "loop":
                names += [v.name for v in config.variables]
            items = [Variable(f"{other_id}.{name}", "") for name in names]
        else:
            outputs = dict(spec.outputs(config))
            if node.on_error is not None and node.on_error.strategy != "fail":
                outputs.update(error_message="string", error_type="string")
            items = [Variable(f"{other_id}.{name}", kind) for name, kind in outputs.items()]
        if items:
            groups.append(VariableGroup(f"{title} ({other_id})", items))
    system = sorted(
        name for name in SYS_VARIABLES if document.mode == "chat" or name not in CHAT_ONLY_SYS
    )
    groups.append(VariableGroup("System", [Variable(f"sys.{name}", "") for name in system]))
    if document.environment:
        groups.append(
            VariableGroup(
                "Environment", [Variable(f"env.{v.name}", v.type) for v in document.environment]
            )
        )
    if document.conversation_variables:
        groups.append(
            VariableGroup(
                "Conversation",
                [
                    Variable(f"conversation.{v.name}", v.type)
                    for v in document.conversation_variables
                ],
            )
        )
    return groups


def node_panel(
    document: Document,
    node_id: str,
    issues: Iterable[Issue],
    *,
    providers: Iterable[str] = (),
    config: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> NodePanel | None:
    """The side panel of a node; `config` and `errors` show a submitted form again."""
    node = document.node(node_id)
    if node is None:
        return None
    spec = REGISTRY.get(node.type)
    datalist_id = f"vars-{node_id}"
    context = {"providers": list(providers), "selectors": datalist_id}
    fields_ = (
        forms.fields(spec.config, config if config is not None else node.config, context)
        if spec is not None
        else []
    )
    if errors:
        _mark(fields_, errors)
    containers = [
        n
        for n in document.nodes
        if n.id != node_id and (s := REGISTRY.get(n.type)) is not None and s.container
    ]
    handles = _handles(node, spec)
    labels = dict(handles)
    titles = {n.id: n.title or n.id for n in document.nodes}
    connections = [
        Connection(
            e.handle or "", labels.get(e.handle or "", e.handle or ""), e.to, titles.get(e.to, e.to)
        )
        for e in document.edges
        if e.source == node_id
    ]
    targets = [
        n
        for n in document.nodes
        if n.id != node_id and n.parent == node.parent and n.type != "start"
    ]
    return NodePanel(
        node=node,
        spec=spec,
        fields=fields_,
        issues=[i for i in issues if i.node_id == node_id],
        variables=variable_groups(document, node_id),
        containers=containers,
        datalist_id=datalist_id,
        connections=connections,
        handles=handles if node.type != "end" else [],
        targets=targets,
    )


def _handles(node: Node, spec: NodeSpec[Any] | None) -> list[tuple[str, str]]:
    """(handle, label) pairs a node's edges can leave from; "" is the default output."""
    named = handle_labels(node, spec, typed_config(spec, node))
    has_branches = spec is not None and any(h != FAIL_BRANCH for h, _ in named)
    return ([] if has_branches else [("", "its output")]) + named


def _mark(fields_: list[forms.FormField], errors: Mapping[str, str]) -> None:
    for f in fields_:
        if f.name in errors:
            f.error = errors[f.name]
            f.value = errors.get(f"{f.name}#raw", f.value)
        _mark(f.children, errors)
        for _, row in f.rows:
            _mark(row, errors)


def node_settings(read: forms.Form, node: Node) -> tuple[dict[str, Any], dict[str, str]]:
    """title, description, parent, on_error, retry and timeout from the form (`n.*`)."""
    errors: dict[str, str] = {}
    settings: dict[str, Any] = {}
    title = read("n.title")
    if title is not None:
        settings["title"] = title.strip()
    description = read("n.description")
    if description is not None:
        settings["description"] = description.strip()
    parent = read("n.parent")
    if parent is not None:
        settings["parent"] = parent or None
    strategy = read("n.on_error")
    if strategy is not None:
        default: dict[str, Any] = {}
        raw_default = (read("n.default") or "").strip()
        if raw_default:
            try:
                loaded = json.loads(raw_default)
            except json.JSONDecodeError as exc:
                errors["n.default"] = f"not valid JSON: {exc.msg}"
                loaded = node.on_error.default if node.on_error else {}
            if isinstance(loaded, dict):
                default = loaded
            else:
                errors["n.default"] = 'default outputs are an object, e.g. {"text": ""}'
        on_error: dict[str, Any] = {"strategy": strategy}
        if default:
            on_error["default"] = default
        settings["on_error"] = None if on_error == {"strategy": "fail"} else on_error
    retries = _number(read, "n.retry", errors, whole=True)
    if retries is not False:
        interval = _number(read, "n.retry_interval", errors)
        settings["retry"] = (
            {"max_attempts": retries, "interval": interval if interval else 1.0}
            if retries
            else None
        )
    timeout = _number(read, "n.timeout", errors)
    if timeout is not False:
        settings["timeout"] = timeout or None
    return settings, errors


def _number(read: forms.Form, name: str, errors: dict[str, str], *, whole: bool = False) -> Any:
    """The number in a field, None when blank, False when the field was not sent."""
    raw = read(name)
    if raw is None:
        return False
    text = raw.strip()
    if not text:
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        errors[name] = "must be a whole number" if whole else "must be a number"
        return False
    if value < 0:
        errors[name] = "must not be negative"
        return False
    return value


__all__ = [
    "ERROR_STRATEGIES",
    "NodePanel",
    "Variable",
    "VariableGroup",
    "node_panel",
    "node_settings",
    "typed_config",
    "variable_groups",
]

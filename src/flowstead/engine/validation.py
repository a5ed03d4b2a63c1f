"""Validation: small rules that each return issues about a workflow document.

The canvas shows every issue on the node it concerns; only the runner refuses a document,
and only for issues of severity "error".
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from flowstead.dsl.document import IDENTIFIER, RESERVED_IDS, Document, Node
from flowstead.engine import templates
from flowstead.engine.node import DEFAULT_HANDLE, FAIL_BRANCH, NodeSpec
from flowstead.engine.nodes import REGISTRY, agent
from flowstead.engine.references import Reference, node_references

SYS_VARIABLES = frozenset(
    {
        "query",
        "user",
        "conversation_id",
        "run_id",
        "workflow_id",
        "files",
        "dialogue_count",
        "timestamp",
    }
)

Severity = Literal["error", "warning"]


class Issue(msgspec.Struct, frozen=True):
    code: str
    message: str
    node_id: str | None = None
    severity: Severity = "error"


@dataclass
class Graph:
    """The document with parsed configs and edge indexes, shared by the rules."""

    document: Document
    nodes: dict[str, Node] = field(default_factory=dict)
    configs: dict[str, Any] = field(default_factory=dict)
    outgoing: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    incoming: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def spec(self, node_id: str) -> NodeSpec[Any] | None:
        return REGISTRY.get(self.nodes[node_id].type)

    def scope(self, parent: str | None) -> list[str]:
        return [n for n, node in self.nodes.items() if node.parent == parent]


def build_graph(document: Document) -> Graph:
    graph = Graph(document)
    for node in document.nodes:
        graph.nodes.setdefault(node.id, node)
    for node_id, node in graph.nodes.items():
        spec = REGISTRY.get(node.type)
        if spec is not None:
            with contextlib.suppress(msgspec.ValidationError):
                graph.configs[node_id] = msgspec.convert(node.config, spec.config, str_keys=True)
    for edge in document.edges:
        if edge.source in graph.nodes and edge.to in graph.nodes:
            graph.outgoing[edge.source].append(edge.to)
            graph.incoming[edge.to].append(edge.source)
    return graph


def _node_ids(graph: Graph) -> Iterator[Issue]:
    seen: set[str] = set()
    for node in graph.document.nodes:
        if node.id in seen:
            yield Issue("duplicate_id", f"two nodes have the id `{node.id}`", node.id)
        seen.add(node.id)
        if not IDENTIFIER.match(node.id):
            yield Issue(
                "invalid_id",
                f"`{node.id}` is not a valid node id: use letters, digits "
                "and underscores, not starting with a digit",
                node.id,
            )
        elif node.id in RESERVED_IDS:
            yield Issue("invalid_id", f"`{node.id}` is reserved; choose another node id", node.id)


def _node_types(graph: Graph) -> Iterator[Issue]:
    for node_id, node in graph.nodes.items():
        spec = REGISTRY.get(node.type)
        if spec is None:
            yield Issue("unknown_type", f"unknown node type `{node.type}`", node_id)
            continue
        try:
            msgspec.convert(node.config, spec.config, str_keys=True)
        except msgspec.ValidationError as exc:
            yield Issue("bad_config", f"{spec.label} settings are invalid: {exc}", node_id)


# What a node type checks beyond its config's shape: (issue code, message) pairs.
NODE_CHECKS: dict[str, Callable[[Any], Iterable[tuple[str, str]]]] = {"agent": agent.check}


def _node_checks(graph: Graph) -> Iterator[Issue]:
    for node_id, config in graph.configs.items():
        check = NODE_CHECKS.get(graph.nodes[node_id].type)
        for code, message in check(config) if check is not None else ():
            yield Issue(code, message, node_id)


def _containers(graph: Graph) -> Iterator[Issue]:
    for node_id, node in graph.nodes.items():
        if node.parent is None:
            continue
        parent = graph.nodes.get(node.parent)
        if parent is None:
            yield Issue("bad_parent", f"its container `{node.parent}` does not exist", node_id)
        elif (spec := REGISTRY.get(parent.type)) is not None and not spec.container:
            yield Issue(
                "bad_parent",
                f"`{node.parent}` is a {spec.label} node, not an "
                "iteration or loop, so it cannot contain nodes",
                node_id,
            )
        if node.type in ("start", "end", "answer") and node.parent is not None:
            label = REGISTRY[node.type].label
            yield Issue(
                "bad_parent", f"{label} nodes cannot be inside an iteration or loop", node_id
            )


def _edges(graph: Graph) -> Iterator[Issue]:
    for edge in graph.document.edges:
        for end in (edge.source, edge.to):
            if end not in graph.nodes:
                yield Issue(
                    "dangling_edge",
                    f"an edge {edge.source} → {edge.to} points at the missing node `{end}`",
                    edge.source if end == edge.to else None,
                )
        if edge.source not in graph.nodes or edge.to not in graph.nodes:
            continue
        source, target = graph.nodes[edge.source], graph.nodes[edge.to]
        if source.parent != target.parent:
            yield Issue(
                "cross_container_edge",
                f"the edge to `{edge.to}` crosses the border of "
                "an iteration or loop; connect nodes inside the same container",
                edge.source,
            )
        if target.type == "start":
            yield Issue("edge_into_start", "nothing may connect into the Start node", edge.to)
        if source.type in ("end",):
            yield Issue("edge_from_end", "an End node has no outputs to connect", edge.source)
        yield from _handle(graph, edge.source, edge.handle)


def _handle(graph: Graph, node_id: str, handle: str | None) -> Iterator[Issue]:
    spec, config = graph.spec(node_id), graph.configs.get(node_id)
    if spec is None or config is None:
        return
    node = graph.nodes[node_id]
    named = set(spec.handles(config))
    if node.on_error is not None and node.on_error.strategy == "fail_branch":
        named.add(FAIL_BRANCH)
    if handle in (None, DEFAULT_HANDLE):
        if spec.handles(config):
            yield Issue(
                "missing_handle",
                f"edges from a {spec.label} node must say which branch "
                f"they follow ({', '.join(sorted(named))})",
                node_id,
            )
    elif handle not in named:
        options = ", ".join(sorted(named)) or "only its default output"
        yield Issue(
            "unknown_handle",
            f"an edge leaves from the handle `{handle}`, which this "
            f"node does not have (it has {options})",
            node_id,
        )


def _structure(graph: Graph) -> Iterator[Issue]:
    top = graph.scope(None)
    starts = [n for n in top if graph.nodes[n].type == "start"]
    if not starts:
        yield Issue("no_start", "the workflow has no Start node")
    for extra in starts[1:]:
        yield Issue("many_starts", "a workflow has exactly one Start node", extra)
    final = "answer" if graph.document.mode == "chat" else "end"
    if not any(graph.nodes[n].type == final for n in top):
        needs = (
            "a chat workflow needs an Answer node"
            if final == "answer"
            else ("a workflow needs an End node")
        )
        yield Issue("no_end", needs)


def _cycles(graph: Graph) -> Iterator[Issue]:
    for parent in [None, *(n for n in graph.nodes if graph.nodes[n].type in ("iteration", "loop"))]:
        ordered = graph.scope(parent)
        scope, state = set(ordered), dict[str, int]()
        for root in ordered:
            cycle = _find_cycle(root, scope, graph.outgoing, state)
            if cycle:
                yield Issue(
                    "cycle",
                    "these nodes form a cycle: "
                    + " → ".join(cycle)
                    + "; repeat work with a Loop or Iteration node instead",
                    cycle[0],
                )
                break  # one cycle per scope: the search state is not reusable after it


def _find_cycle(
    root: str, scope: set[str], outgoing: dict[str, list[str]], state: dict[str, int]
) -> list[str] | None:
    """Iterative DFS; `state` is 1 while on the stack and 2 when done (shared across roots)."""
    if state.get(root):
        return None
    stack: list[tuple[str, Iterator[str]]] = [(root, iter(outgoing.get(root, ())))]
    path = [root]
    state[root] = 1
    while stack:
        node, children = stack[-1]
        child = next((c for c in children if c in scope), None)
        if child is None:
            state[node] = 2
            stack.pop()
            path.pop()
        elif state.get(child) == 1:
            return [*path[path.index(child) :], child]
        elif not state.get(child):
            state[child] = 1
            stack.append((child, iter(outgoing.get(child, ()))))
            path.append(child)
    return None


def _reachability(graph: Graph) -> Iterator[Issue]:
    starts = [n for n in graph.scope(None) if graph.nodes[n].type == "start"]
    if not starts:
        return
    seen = _descendants(graph, starts)
    for node_id in graph.scope(None):
        if node_id not in seen:
            yield Issue(
                "unreachable",
                "no path from Start reaches this node, so it never runs",
                node_id,
                "warning",
            )


def _descendants(graph: Graph, roots: Iterable[str]) -> set[str]:
    seen, todo = set(roots), list(roots)
    while todo:
        for child in graph.outgoing.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _ancestors(graph: Graph, node_id: str) -> set[str]:
    seen: set[str] = set()
    todo = [node_id]
    while todo:
        for parent in graph.incoming.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def visible_nodes(graph: Graph, node_id: str) -> dict[str, str]:
    """The nodes whose values `node_id` may read, mapped to why: "upstream" (their outputs)
    or "container" (the iteration/loop it is inside: item, index, loop variables)."""
    visible: dict[str, str] = {}
    current: str | None = node_id
    while current is not None:
        for ancestor in _ancestors(graph, current):
            visible.setdefault(ancestor, "upstream")
        parent = graph.nodes[current].parent if current in graph.nodes else None
        if parent is not None:
            visible.setdefault(parent, "container")
        current = parent
    return visible


def _references(graph: Graph) -> Iterator[Issue]:
    env = {v.name for v in graph.document.environment}
    conversation = {v.name for v in graph.document.conversation_variables}
    for node_id, config in graph.configs.items():
        node = graph.nodes[node_id]
        try:
            refs = list(node_references(node.type, config))
        except templates.TemplateError:
            refs = []
        visible = visible_nodes(graph, node_id)
        if node.type == "loop":
            visible[node_id] = "container"  # break conditions read the loop's own variables
        for ref in refs:
            yield from _reference(graph, node_id, ref, visible, env, conversation)


def _reference(
    graph: Graph,
    node_id: str,
    ref: Reference,
    visible: dict[str, str],
    env: set[str],
    conversation: set[str],
) -> Iterator[Issue]:
    where = f"{ref.field}: `{ref.text}`"
    if ref.syntax_error:
        yield Issue("template_syntax", f"{ref.field} has a {ref.syntax_error}", node_id)
        return
    root, attr = ref.root, ref.attr
    if root == "context" and graph.nodes[node_id].type == "llm":
        return  # the LLM node's own context value
    known: dict[str, set[str]] = {
        "sys": set(SYS_VARIABLES),
        "env": env,
        "conversation": conversation,
    }
    if root in known:
        if attr is not None and attr not in known[root]:
            yield Issue(
                "missing_reference", f"{where} reads `{root}.{attr}`, which is not defined", node_id
            )
        return
    if ref.scope == "child":
        # e.g. an iteration's `output`, which reads one of its own child nodes.
        target = graph.nodes.get(root)
        if target is None or target.parent != node_id:
            yield Issue(
                "missing_reference", f"{where} must read a node inside this container", node_id
            )
            return
        yield from _attr(graph, node_id, root, attr, where)
        return
    if root not in graph.nodes:
        yield Issue(
            "missing_reference", f"{where} reads `{root}`, but there is no such node", node_id
        )
        return
    why = visible.get(root)
    if why is None:
        yield Issue(
            "missing_reference",
            f"{where} reads `{root}`, which does not run before this node; connect it upstream",
            node_id,
        )
    elif why == "container":
        yield from _container_attr(graph, node_id, root, attr, where)
    else:
        yield from _attr(graph, node_id, root, attr, where)


def _attr(graph: Graph, node_id: str, root: str, attr: str | None, where: str) -> Iterator[Issue]:
    spec, config = graph.spec(root), graph.configs.get(root)
    if spec is None or config is None or attr is None:
        return
    outputs = dict(spec.outputs(config))
    on_error = graph.nodes[root].on_error
    if on_error is not None and on_error.strategy != "fail":
        outputs.update(error_message="string", error_type="string")
    if attr not in outputs:
        offered = ", ".join(sorted(outputs)) or "nothing"
        yield Issue(
            "missing_reference",
            f"{where}: `{root}` has no output `{attr}` (it offers {offered})",
            node_id,
        )


def _container_attr(
    graph: Graph, node_id: str, root: str, attr: str | None, where: str
) -> Iterator[Issue]:
    container = graph.nodes[root]
    config = graph.configs.get(root)
    if attr is None or config is None:
        return
    if container.type == "iteration":
        allowed = {"item", "index"}
    else:
        allowed = {"index", *(v.name for v in config.variables)}
    if attr not in allowed:
        yield Issue(
            "missing_reference",
            f"{where}: inside `{root}` only {', '.join(sorted(allowed))} can be read",
            node_id,
        )


RULES: tuple[Callable[[Graph], Iterable[Issue]], ...] = (
    _node_ids,
    _node_types,
    _node_checks,
    _containers,
    _edges,
    _structure,
    _cycles,
    _reachability,
    _references,
)


def validate(document: Document) -> list[Issue]:
    """Every issue of the document, rule by rule."""
    graph = build_graph(document)
    return [issue for rule in RULES for issue in rule(graph)]


def errors(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]

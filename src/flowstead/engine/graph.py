"""The graph a run walks: typed node configs and edges indexed by node and handle, one
`Scope` for the top level and one per container body. Built once per workflow version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from flowstead.dsl.document import Document, Node
from flowstead.engine import templates
from flowstead.engine.node import DEFAULT_HANDLE, NodeSpec
from flowstead.engine.nodes import REGISTRY
from flowstead.engine.streaming import Segment, segments


@dataclass(slots=True, eq=False)
class CompiledNode:
    node: Node
    spec: NodeSpec[Any]
    config: Any
    # A branching node may skip the edges of any of its handles (if/else, fail-branch).
    branching: bool
    # The child nodes of an iteration or loop.
    body: Scope | None = None
    id: str = field(init=False)
    type: str = field(init=False)

    def __post_init__(self) -> None:
        self.id = self.node.id
        self.type = self.node.type


@dataclass(slots=True, eq=False)
class Scope:
    """The nodes of one level (the top, or a container's body) and the edges among them."""

    container: str | None
    nodes: dict[str, CompiledNode] = field(default_factory=dict)
    entries: tuple[str, ...] = ()
    # Edge i goes from sources[i] (its handle, handles[i]) to targets[i].
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    incoming: dict[str, list[int]] = field(default_factory=dict)
    outgoing: dict[str, list[int]] = field(default_factory=dict)
    # Answer nodes and their streaming segments (None: stream only when it finishes).
    answers: dict[str, tuple[Segment, ...] | None] = field(default_factory=dict)

    def add_edge(self, source: str, target: str, handle: str) -> None:
        self.incoming[target].append(len(self.sources))
        self.outgoing[source].append(len(self.sources))
        self.sources.append(source)
        self.targets.append(target)
        self.handles.append(handle)


def build(document: Document) -> Scope:
    """The top-level scope of a document that passed validation."""
    scopes: dict[str | None, Scope] = {None: Scope(container=None)}
    compiled = [_compile(node) for node in document.nodes]
    for cnode in compiled:
        if cnode.spec.container:
            cnode.body = scopes[cnode.id] = Scope(container=cnode.id)
    for cnode in compiled:
        scope = scopes[cnode.node.parent]
        scope.nodes[cnode.id] = cnode
        scope.incoming[cnode.id] = []
        scope.outgoing[cnode.id] = []
        if cnode.type == "answer":
            scope.answers[cnode.id] = segments(cnode.config.text)
    parents = {cnode.id: cnode.node.parent for cnode in compiled}
    for edge in document.edges:
        scope = scopes[parents[edge.source]]
        scope.add_edge(edge.source, edge.to, edge.handle or DEFAULT_HANDLE)
    for scope in scopes.values():
        if scope.container is None:
            scope.entries = tuple(n for n, c in scope.nodes.items() if c.type == "start")
        else:
            scope.entries = tuple(n for n, edges in scope.incoming.items() if not edges)
    return scopes[None]


def _compile(node: Node) -> CompiledNode:
    spec = REGISTRY[node.type]
    config: Any = msgspec.convert(node.config, spec.config, str_keys=True)
    for source in _strings(node.config):
        templates.compile_template(source)
    strategy = node.on_error.strategy if node.on_error else "fail"
    branching = bool(spec.handles(config)) or strategy == "fail_branch"
    return CompiledNode(node, spec, config, branching)


def _strings(value: Any) -> Iterator[str]:
    """Every template string in a raw config."""
    if isinstance(value, str):
        if templates.has_template(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)

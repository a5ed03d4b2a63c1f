"""Snapshots to continue a run from: rebuilt from the run's stored event log.

The log is the source of truth: every finished top-level node's outputs, the handle it
took and the conversation variables it wrote are in its `node_finished` event, stored
before the run goes on. Node executions could say which nodes finished, but not which
branch a branching node took.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from flowstead.dsl.document import Document
from flowstead.engine.events import NodeRetry, NodeSnapshot, Snapshot
from flowstead.store.protocol import Store
from flowstead.store.records import RunEvent

_PAGE = 1000
_REPLAYABLE = ("succeeded", "exception")
_PLACES = ("iteration_id", "loop_id")
INTERRUPTED = "its worker stopped before it finished; it runs again"


async def read_log(store: Store, run_id: str) -> list[RunEvent]:
    """Every stored event of the run, in order."""
    events: list[RunEvent] = []
    while page := await store.events.read(
        run_id, after_seq=events[-1].seq if events else 0, limit=_PAGE
    ):
        events.extend(page)
        if len(page) < _PAGE:
            break
    return events


def snapshot(events: Iterable[RunEvent], *, without: Collection[str] = ()) -> Snapshot:
    """The top-level nodes that finished (or failed with a handled error), except those
    `without`, and the conversation variables they wrote."""
    nodes: dict[str, NodeSnapshot] = {}
    conversation: dict[str, Any] = {}
    for event in events:
        data = event.data
        if event.type != "node_finished" or data.get("status") not in _REPLAYABLE:
            continue
        if data["node_id"] in without or any(data.get(p) is not None for p in _PLACES):
            continue
        nodes[data["node_id"]] = NodeSnapshot(
            status=data["status"], outputs=data.get("outputs") or {}, handle=data.get("handle")
        )
        for selector, value in (data.get("assigned") or {}).items():
            root, _, name = selector.partition(".")
            if root == "conversation":
                conversation[name] = value
    return Snapshot(nodes=nodes, conversation=conversation)


def interrupted(events: Iterable[RunEvent]) -> list[NodeRetry]:
    """A `node_retry` for each top-level node that started and never finished: resuming
    runs it again from the start, and whoever showed its streamed text should drop it."""
    running: dict[str, int] = {}  # node id → attempts so far
    for event in events:
        data = event.data
        if event.type not in ("node_started", "node_retry", "node_finished"):
            continue
        if any(data.get(p) is not None for p in _PLACES):
            continue
        node_id = data["node_id"]
        if event.type == "node_started":
            running[node_id] = 1
        elif event.type == "node_retry" and node_id in running:
            running[node_id] = data.get("attempt", 0) + 1
        else:
            running.pop(node_id, None)
    return [
        NodeRetry(node_id=node_id, attempt=attempt, error=INTERRUPTED, interval=0.0)
        for node_id, attempt in running.items()
    ]


def rerun_nodes(document: Document, node_id: str) -> set[str]:
    """The nodes "rerun from `node_id`" runs again: it and every node after it. A node
    inside a container reruns the whole container."""
    top = document.node(node_id)
    while top is not None and top.parent is not None:
        top = document.node(top.parent)
    start = top.id if top else node_id
    following: dict[str, list[str]] = {}
    for edge in document.edges:
        following.setdefault(edge.source, []).append(edge.to)
    seen, stack = {start}, [start]
    while stack:
        for target in following.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def edit(snapshot: Snapshot, edits: Mapping[str, Any]) -> None:
    """Write `edits` (`node.output` → value) over the outputs of the snapshot's nodes."""
    for selector, value in edits.items():
        node, _, output = selector.partition(".")
        kept = snapshot.nodes.get(node)
        if kept is not None:
            snapshot.nodes[node] = NodeSnapshot(
                status=kept.status, outputs={**kept.outputs, output: value}, handle=kept.handle
            )

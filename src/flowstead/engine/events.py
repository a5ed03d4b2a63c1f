"""The engine's output: a stream of typed events, tagged so they encode as JSON objects
with an `event` field (`msgspec.json.encode(event)`).

Everything that watches a run (SSE, the database writer, logs) consumes these.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from flowstead.engine.ports import Usage

NodeStatus = Literal["succeeded", "failed", "exception", "stopped"]
RunStatus = Literal["succeeded", "failed", "partial_succeeded", "stopped"]


class Event(msgspec.Struct, tag_field="event", frozen=True):
    """Base of every event."""


class Placed(Event, frozen=True, kw_only=True):
    """An event about one node; set when the node runs inside a container."""

    iteration_id: str | None = None
    iteration_index: int | None = None
    loop_id: str | None = None
    loop_index: int | None = None


class RunStarted(Event, tag="run_started", frozen=True):
    run_id: str
    workflow_id: str
    inputs: dict[str, Any]
    at: float
    # True when the run continues from a snapshot (resume or "rerun from here").
    resumed: bool = False


class NodeStarted(Placed, tag="node_started", frozen=True):
    node_id: str
    node_type: str
    title: str


class TextChunk(Event, tag="text_chunk", frozen=True):
    node_id: str
    text: str


class NodeRetry(Placed, tag="node_retry", frozen=True):
    node_id: str
    # The attempt that failed (1 is the first run).
    attempt: int
    error: str
    interval: float


class NodeFinished(Placed, tag="node_finished", frozen=True):
    """`exception` is a failure an error strategy handled; `stopped` a node cancelled."""

    node_id: str
    node_type: str
    title: str
    status: NodeStatus
    inputs: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    process_data: dict[str, Any] = {}
    error: str | None = None
    # The handle the node's outgoing edges were taken from.
    handle: str | None = None
    elapsed: float = 0.0
    usage: Usage | None = None
    attempt: int = 1
    # Variables the node wrote (`conversation.x`, `<loop>.x`) and their new values.
    assigned: dict[str, Any] = {}


class NodeSkipped(Placed, tag="node_skipped", frozen=True):
    node_id: str
    node_type: str


class IterationStarted(Event, tag="iteration_started", frozen=True):
    node_id: str
    length: int


class IterationNext(Event, tag="iteration_next", frozen=True):
    node_id: str
    index: int


class IterationCompleted(Event, tag="iteration_completed", frozen=True):
    node_id: str
    status: NodeStatus
    outputs: dict[str, Any] = {}
    error: str | None = None


class LoopStarted(Event, tag="loop_started", frozen=True):
    node_id: str
    max_count: int
    variables: dict[str, Any] = {}


class LoopNext(Event, tag="loop_next", frozen=True):
    node_id: str
    index: int
    # The loop variables as this round starts.
    variables: dict[str, Any] = {}


class LoopCompleted(Event, tag="loop_completed", frozen=True):
    node_id: str
    status: NodeStatus
    outputs: dict[str, Any] = {}
    error: str | None = None


class NodeSnapshot(msgspec.Struct, frozen=True, omit_defaults=True):
    """A finished node as a resumed run replays it: its outputs and the handle it took."""

    status: Literal["succeeded", "exception"] = "succeeded"
    outputs: dict[str, Any] = {}
    handle: str | None = None


class Snapshot(msgspec.Struct, omit_defaults=True):
    """What a run needs to continue without re-running its finished nodes."""

    nodes: dict[str, NodeSnapshot] = {}
    conversation: dict[str, Any] = {}


class RunPaused(Event, tag="run_paused", frozen=True):
    snapshot: Snapshot
    reason: str = ""


class RunResumed(Event, tag="run_resumed", frozen=True):
    pass


class RunFinished(Event, tag="run_finished", frozen=True):
    status: RunStatus
    outputs: dict[str, Any] = {}
    error: str | None = None
    total_tokens: int = 0
    total_steps: int = 0
    elapsed: float = 0.0
    # The conversation variables as the run left them (chat mode persists these).
    conversation: dict[str, Any] = {}


AnyEvent = (
    RunStarted
    | NodeStarted
    | TextChunk
    | NodeRetry
    | NodeFinished
    | NodeSkipped
    | IterationStarted
    | IterationNext
    | IterationCompleted
    | LoopStarted
    | LoopNext
    | LoopCompleted
    | RunPaused
    | RunResumed
    | RunFinished
)


def decode(data: bytes | str) -> AnyEvent:
    """An event back from its JSON form."""
    return msgspec.json.decode(data, type=AnyEvent)

from __future__ import annotations

from typing import Any

from flowstead.dsl.document import from_data
from flowstead.engine.events import NodeRetry, NodeSnapshot
from flowstead.services.resume import INTERRUPTED, edit, interrupted, rerun_nodes, snapshot
from flowstead.store.records import RunEvent


def event(seq: int, type: str, **data: Any) -> RunEvent:
    return RunEvent(run_id="r", seq=seq, type=type, data=data, created_at=0.0)


def finished(seq: int, node_id: str, status: str = "succeeded", **data: Any) -> RunEvent:
    return event(seq, "node_finished", node_id=node_id, status=status, **data)


DOCUMENT = from_data(
    {
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "branch", "type": "if_else"},
            {"id": "llm", "type": "llm"},
            {"id": "side", "type": "template"},
            {"id": "loop", "type": "loop"},
            {"id": "inner", "type": "template", "parent": "loop"},
            {"id": "end", "type": "end"},
        ],
        "edges": [
            {"from": "start", "to": "branch"},
            {"from": "branch", "to": "llm", "handle": "true"},
            {"from": "start", "to": "side"},
            {"from": "llm", "to": "loop"},
            {"from": "loop", "to": "end"},
            {"from": "side", "to": "end"},
        ],
    }
)


def test_a_snapshot_keeps_finished_top_level_nodes_with_their_handle() -> None:
    events = [
        event(1, "run_started"),
        finished(2, "start", outputs={"q": "hi"}),
        finished(3, "branch", outputs={}, handle="true"),
        event(4, "node_started", node_id="llm"),
        finished(5, "inner", outputs={"x": 1}, loop_id="loop", loop_index=0),
        finished(6, "side", status="failed", error="boom"),
        finished(7, "llm", status="exception", outputs={"text": "default"}),
    ]
    result = snapshot(events)
    assert result.nodes == {
        "start": NodeSnapshot(outputs={"q": "hi"}),
        "branch": NodeSnapshot(outputs={}, handle="true"),
        "llm": NodeSnapshot(status="exception", outputs={"text": "default"}),
    }


def test_a_snapshot_keeps_the_conversation_variables_its_nodes_wrote() -> None:
    events = [
        finished(1, "a", assigned={"conversation.n": 1, "loop.i": 3}),
        finished(2, "b", assigned={"conversation.n": 2, "conversation.topic": "x"}),
        finished(3, "c", assigned={"conversation.n": 9}),
    ]
    assert snapshot(events, without={"c"}).conversation == {"n": 2, "topic": "x"}


def test_nodes_started_and_never_finished_are_retried_at_the_next_attempt() -> None:
    events = [
        event(1, "run_started"),
        event(2, "node_started", node_id="start"),
        finished(3, "start"),
        event(4, "node_started", node_id="llm"),
        event(5, "text_chunk", node_id="llm", text="half an ans"),
        event(6, "node_started", node_id="side"),
        event(7, "node_retry", node_id="side", attempt=1, error="timeout"),
        event(8, "node_started", node_id="loop"),
        event(9, "node_started", node_id="inner", loop_id="loop", loop_index=0),
        finished(10, "inner", loop_id="loop", loop_index=0),
        event(11, "node_started", node_id="inner", loop_id="loop", loop_index=1),
        finished(12, "loop", status="failed"),
    ]

    assert interrupted(events) == [
        NodeRetry(node_id="llm", attempt=1, error=INTERRUPTED, interval=0.0),
        NodeRetry(node_id="side", attempt=2, error=INTERRUPTED, interval=0.0),
    ]
    assert interrupted(events[:3]) == []


def test_rerun_from_a_node_reruns_it_and_everything_after_it() -> None:
    assert rerun_nodes(DOCUMENT, "llm") == {"llm", "loop", "end"}
    assert rerun_nodes(DOCUMENT, "side") == {"side", "end"}


def test_rerun_from_a_node_inside_a_container_reruns_the_container() -> None:
    assert rerun_nodes(DOCUMENT, "inner") == {"loop", "end"}


def test_edits_replace_outputs_of_kept_nodes_only() -> None:
    kept = snapshot([finished(1, "llm", outputs={"text": "old", "usage": 3})])
    edit(kept, {"llm.text": "new", "gone.text": "ignored"})
    assert kept.nodes == {"llm": NodeSnapshot(outputs={"text": "new", "usage": 3})}

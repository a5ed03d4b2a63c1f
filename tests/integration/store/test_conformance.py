"""One suite for every Store adapter: SQLite, SurrealDB mem:// and SurrealDB surrealkv://."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from flowstead.store import Conflict, NotFound, Store
from flowstead.store.protocol import INGEST_JOB_KIND, NodeUpdate
from flowstead.store.records import NewChunk, Workflow
from tests.integration.store.conftest import Opener
from tests.integration.store.raw import files_contain, raw_rows, table_name

DOCUMENT: dict[str, Any] = {
    "flowstead": 1,
    "nodes": [
        {"id": "start", "type": "start", "config": {"default": None, "ratio": 0.5}},
        {"id": "llm", "type": "llm", "title": "Réponse ✨", "config": {"id": "inner"}},
    ],
    "edges": [{"from": "start", "to": "llm", "handle": None}],
    "empty": {},
    "list": [],
}
MISSING = "00000000-0000-4000-8000-000000000000"


async def new_workflow(store: Store, name: str = "Support bot", **kwargs: Any) -> Workflow:
    return await store.workflows.create(name=name, document=DOCUMENT, **kwargs)


# Workflows


async def test_workflow_round_trips_its_document(store: Store) -> None:
    trigger = {"type": "schedule", "cron": "0 * * * *"}
    created = await new_workflow(store, description="answers", mode="chat", trigger=trigger)

    got = await store.workflows.get(created.id)

    assert got == created
    assert got.document == DOCUMENT
    assert got.trigger == trigger
    assert got.published_version is None


async def test_unknown_ids_read_as_none(store: Store) -> None:
    assert await store.workflows.get(MISSING) is None
    assert await store.workflows.latest_version(MISSING) is None
    assert await store.workflows.get_version(MISSING, 1) is None
    assert await store.workflows.list_versions(MISSING) == []
    assert await store.runs.get(MISSING) is None
    assert await store.runs.document(MISSING) is None
    assert await store.jobs.get(MISSING) is None
    assert await store.conversations.get(MISSING) is None
    assert await store.providers.get(MISSING) is None
    assert await store.knowledge_bases.get(MISSING) is None
    assert await store.documents.get(MISSING) is None
    assert await store.meta.get("nothing") is None
    assert await store.workers.latest() is None
    assert await store.events.last_seq(MISSING) == 0
    assert await store.nodes.finished_outputs(MISSING) == {}


async def test_list_workflows_newest_update_first_with_search_and_paging(store: Store) -> None:
    alpha = await new_workflow(store, "Alpha", description="summarise tickets")
    beta = await new_workflow(store, "Beta")
    gamma = await new_workflow(store, "Gamma")
    await store.workflows.update_draft(alpha.id, DOCUMENT)

    names = [w.name for w in await store.workflows.list()]
    assert names == ["Alpha", "Gamma", "Beta"]
    assert [w.name for w in await store.workflows.list(limit=1, offset=1)] == ["Gamma"]
    assert [w.id for w in await store.workflows.list(search="ALP")] == [alpha.id]
    assert [w.id for w in await store.workflows.list(search="Tickets")] == [alpha.id]
    assert {w.id for w in await store.workflows.list(search="a")} == {alpha.id, beta.id, gamma.id}


async def test_update_draft_changes_only_what_is_given(store: Store) -> None:
    created = await new_workflow(store, description="first")
    document = {**DOCUMENT, "nodes": []}

    updated = await store.workflows.update_draft(created.id, document, name="Renamed")

    assert updated.document == document
    assert updated.name == "Renamed"
    assert updated.description == "first"
    assert updated.updated_at >= created.updated_at
    assert await store.workflows.get(created.id) == updated
    with pytest.raises(NotFound):
        await store.workflows.update_draft(MISSING, document)


async def test_publish_numbers_versions_and_keeps_them_all(store: Store) -> None:
    workflow = await new_workflow(store)
    documents = [{**DOCUMENT, "rev": n} for n in (1, 2, 3)]
    for document in documents:
        await store.workflows.update_draft(workflow.id, document)
        await store.workflows.publish(workflow.id)
    await store.workflows.update_draft(workflow.id, {"rev": "draft"})

    versions = await store.workflows.list_versions(workflow.id)

    assert [v.number for v in versions] == [3, 2, 1]
    assert [v.document for v in reversed(versions)] == documents
    second = await store.workflows.get_version(workflow.id, 2)
    assert second is not None
    assert second.document == documents[1]
    assert second.workflow_id == workflow.id
    latest = await store.workflows.latest_version(workflow.id)
    assert latest is not None
    assert latest.number == 3
    current = await store.workflows.get(workflow.id)
    assert current is not None
    assert current.published_version == 3
    with pytest.raises(NotFound):
        await store.workflows.publish(MISSING)


async def test_delete_workflow_cascades(store: Store) -> None:
    workflow = await new_workflow(store)
    other = await new_workflow(store, "Other")
    await store.workflows.publish(workflow.id)
    conversation = await store.conversations.create(workflow_id=workflow.id, user="u")
    run = await store.runs.create(
        workflow_id=workflow.id, inputs={}, version=1, conversation_id=conversation.id
    )
    await store.events.append(run.id, "run_started", {})
    await store.nodes.record(run_id=run.id, node_id="start", status="succeeded")
    await store.messages.add(conversation_id=conversation.id, run_id=run.id, query="q", answer="a")
    _, plaintext = await store.api_keys.create(workflow.id)
    kept_run = await store.runs.create(workflow_id=other.id, inputs={})

    assert await store.workflows.delete(workflow.id) is True

    assert await store.workflows.get(workflow.id) is None
    assert await store.workflows.list_versions(workflow.id) == []
    assert await store.runs.get(run.id) is None
    assert await store.events.read(run.id) == []
    assert await store.nodes.list_for_run(run.id) == []
    assert run.job_id is not None
    assert await store.jobs.get(run.job_id) is None
    assert await store.api_keys.verify(plaintext) is None
    assert await store.conversations.get(conversation.id) is None
    assert await store.messages.count(conversation.id) == 0
    assert await store.runs.get(kept_run.id) is not None
    assert await store.workflows.delete(workflow.id) is False


# Runs


async def test_create_run_enqueues_its_job(store: Store) -> None:
    workflow = await new_workflow(store)

    run = await store.runs.create(
        workflow_id=workflow.id, inputs={"q": "hi"}, user="ann", source="web", mode="workflow"
    )

    assert run.status == "queued"
    assert (await store.runs.get(run.id)) == run
    assert run.job_id is not None
    job = await store.jobs.get(run.job_id)
    assert job is not None
    assert (job.kind, job.status, job.run_id, job.payload) == (
        "run",
        "queued",
        run.id,
        {"run_id": run.id},
    )


async def test_create_run_refuses_unknown_references_and_leaves_nothing(store: Store) -> None:
    workflow = await new_workflow(store)
    other = await new_workflow(store, "Other")
    foreign = await store.conversations.create(workflow_id=other.id, user="u")

    with pytest.raises(NotFound):
        await store.runs.create(workflow_id=MISSING, inputs={})
    with pytest.raises(NotFound):
        await store.runs.create(workflow_id=workflow.id, inputs={}, version=1)
    with pytest.raises(NotFound):
        await store.runs.create(workflow_id=workflow.id, inputs={}, conversation_id=foreign.id)
    with pytest.raises(NotFound):
        await store.runs.create(workflow_id=workflow.id, inputs={}, parent_run_id=MISSING)

    assert await store.runs.list() == []
    assert await store.jobs.list() == []


async def test_run_document_is_the_version_or_a_draft_snapshot(store: Store) -> None:
    workflow = await new_workflow(store)
    await store.workflows.publish(workflow.id)
    draft_run = await store.runs.create(workflow_id=workflow.id, inputs={})
    version_run = await store.runs.create(workflow_id=workflow.id, inputs={}, version=1)
    await store.workflows.update_draft(workflow.id, {"changed": True})

    assert await store.runs.document(draft_run.id) == DOCUMENT
    assert await store.runs.document(version_run.id) == DOCUMENT
    child = await store.runs.create(
        workflow_id=workflow.id, inputs={}, parent_run_id=draft_run.id, resumed_from=draft_run.id
    )
    assert await store.runs.document(child.id) == {"changed": True}
    assert (child.parent_run_id, child.resumed_from) == (draft_run.id, draft_run.id)


async def test_list_runs_newest_first_with_filters(store: Store) -> None:
    first = await new_workflow(store)
    second = await new_workflow(store, "Second")
    runs = [
        await store.runs.create(workflow_id=wf.id, inputs={"n": n})
        for n, wf in enumerate([first, second, first])
    ]
    await store.runs.mark_running(runs[0].id)

    assert [r.id for r in await store.runs.list()] == [r.id for r in reversed(runs)]
    assert [r.id for r in await store.runs.list(workflow_id=first.id)] == [runs[2].id, runs[0].id]
    assert [r.id for r in await store.runs.list(status="running")] == [runs[0].id]
    assert [r.id for r in await store.runs.list(limit=1, offset=1)] == [runs[1].id]


async def test_run_lifecycle_and_stop_flag(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})

    running = await store.runs.mark_running(run.id)
    again = await store.runs.mark_running(run.id)
    assert running.status == "running"
    assert running.started_at is not None
    assert again.started_at == running.started_at

    assert await store.runs.stop_requested(run.id) is False
    assert await store.runs.request_stop(run.id) is True
    assert await store.runs.stop_requested(run.id) is True

    finished = await store.runs.finish(
        run.id,
        status="succeeded",
        outputs={"answer": "42", "none": None},
        total_tokens=120,
        total_steps=3,
    )
    assert finished.status == "succeeded"
    assert finished.outputs == {"answer": "42", "none": None}
    assert (finished.total_tokens, finished.total_steps, finished.error) == (120, 3, None)
    assert finished.finished_at is not None
    assert finished.elapsed == pytest.approx(finished.finished_at - running.started_at)
    assert await store.runs.get(run.id) == finished

    with pytest.raises(NotFound):
        await store.runs.mark_running(MISSING)
    with pytest.raises(NotFound):
        await store.runs.finish(MISSING, status="failed", error="x")
    assert await store.runs.request_stop(MISSING) is False
    assert await store.runs.stop_requested(MISSING) is False


# Node executions


async def test_node_executions_upsert_by_run_node_and_index(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})
    started = time.time()
    await store.nodes.record(
        run_id=run.id, node_id="llm", status="running", node_type="llm", started_at=started
    )
    await store.nodes.record(run_id=run.id, node_id="loop", status="succeeded", index=1)
    done = await store.nodes.record(
        run_id=run.id,
        node_id="llm",
        status="succeeded",
        node_type="llm",
        title="Answer",
        inputs={"prompt": "hi"},
        outputs={"text": "hello", "nothing": None},
        started_at=started,
        finished_at=started + 1,
        tokens=7,
        attempt=2,
    )
    await store.nodes.record(run_id=run.id, node_id="start", status="succeeded", outputs={"q": 1})
    await store.nodes.record(run_id=run.id, node_id="bad", status="failed", error="boom")

    listed = await store.nodes.list_for_run(run.id)

    assert [(n.node_id, n.index) for n in listed] == [
        ("llm", 0),
        ("loop", 1),
        ("start", 0),
        ("bad", 0),
    ]
    assert listed[0] == done
    assert (done.tokens, done.attempt, done.title, done.finished_at) == (
        7,
        2,
        "Answer",
        started + 1,
    )
    assert listed[3].error == "boom"
    assert await store.nodes.finished_outputs(run.id) == {
        "llm": {"text": "hello", "nothing": None},
        "start": {"q": 1},
    }
    with pytest.raises(NotFound):
        await store.nodes.record(run_id=MISSING, node_id="x", status="running")


# Events


async def test_events_have_contiguous_sequence_numbers(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})

    assert await store.events.append(run.id, "run_started") == 1
    assert await store.events.append_many(
        run.id, [("text_chunk", {"t": str(i)}) for i in range(3)]
    ) == [2, 3, 4]
    assert await store.events.append_many(run.id, []) == []
    assert await store.events.append(run.id, "run_finished", {"outputs": None}) == 5
    events = await store.events.read(run.id)

    assert [(e.seq, e.type) for e in events] == [
        (1, "run_started"),
        (2, "text_chunk"),
        (3, "text_chunk"),
        (4, "text_chunk"),
        (5, "run_finished"),
    ]
    assert events[0].data == {}
    assert events[4].data == {"outputs": None}
    assert all(e.run_id == run.id for e in events)
    assert await store.events.last_seq(run.id) == 5
    with pytest.raises(NotFound):
        await store.events.append(MISSING, "x")
    with pytest.raises(NotFound):
        await store.events.append_many(MISSING, [("x", {})])


async def test_events_and_the_node_executions_they_start_or_end_are_stored_together(
    store: Store,
) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})
    started = time.time()

    first = await store.events.append_many(
        run.id,
        [("node_started", {"node_id": "llm"}), ("node_started", {"node_id": "loop"})],
        nodes=[
            NodeUpdate(node_id="llm", status="running", node_type="llm", started_at=started),
            NodeUpdate(node_id="loop", status="running", index=2),
        ],
    )
    second = await store.events.append_many(
        run.id,
        [("node_finished", {"node_id": "llm"})],
        nodes=[
            NodeUpdate(
                node_id="llm",
                status="succeeded",
                node_type="llm",
                outputs={"text": "hello", "nothing": None},
                started_at=started,
                finished_at=started + 1,
                tokens=3,
            )
        ],
    )
    only_nodes = await store.events.append_many(
        run.id, [], nodes=[NodeUpdate(node_id="start", status="succeeded", outputs={})]
    )

    assert (first, second, only_nodes) == ([1, 2], [3], [])
    listed = await store.nodes.list_for_run(run.id)
    assert [(n.node_id, n.index, n.status) for n in listed] == [
        ("llm", 0, "succeeded"),
        ("loop", 2, "running"),
        ("start", 0, "succeeded"),
    ]
    assert (listed[0].outputs, listed[0].tokens, listed[0].finished_at) == (
        {"text": "hello", "nothing": None},
        3,
        started + 1,
    )
    assert listed[0].error is None
    assert listed[0].inputs is None
    assert await store.nodes.finished_outputs(run.id) == {
        "llm": {"text": "hello", "nothing": None},
        "start": {},
    }
    with pytest.raises(NotFound):
        await store.events.append_many(MISSING, [], nodes=[NodeUpdate(node_id="x", status="a")])
    with pytest.raises(NotFound):
        await store.events.append_many(
            MISSING, [("x", {})], nodes=[NodeUpdate(node_id="x", status="a")]
        )


async def test_a_runs_first_write_can_mark_it_running(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})

    assert await store.events.append_many(run.id, [("run_started", {})], mark_running=True) == [1]
    running = await store.runs.get(run.id)
    assert running is not None
    assert running.status == "running"
    assert running.started_at is not None
    assert await store.events.append_many(run.id, [], mark_running=True) == []
    again = await store.runs.get(run.id)
    assert again is not None
    assert again.started_at == running.started_at
    with pytest.raises(NotFound):
        await store.events.append_many(MISSING, [("x", {})], mark_running=True)
    with pytest.raises(NotFound):
        await store.events.append_many(MISSING, [], mark_running=True)


async def test_finishing_a_run_stores_its_last_events_and_nodes_at_once(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})
    await store.runs.mark_running(run.id)
    await store.events.append(run.id, "run_started")

    finished = await store.runs.finish(
        run.id,
        status="succeeded",
        outputs={"answer": "42"},
        total_steps=2,
        events=[("node_finished", {"node_id": "end"}), ("run_finished", {"status": "ok"})],
        nodes=[NodeUpdate(node_id="end", status="succeeded", outputs={"answer": "42"})],
    )

    assert (finished.status, finished.outputs, finished.total_steps) == (
        "succeeded",
        {"answer": "42"},
        2,
    )
    assert await store.runs.get(run.id) == finished
    events = await store.events.read(run.id)
    assert [(e.seq, e.type) for e in events] == [
        (1, "run_started"),
        (2, "node_finished"),
        (3, "run_finished"),
    ]
    assert events[2].data == {"status": "ok"}
    assert [(n.node_id, n.outputs) for n in await store.nodes.list_for_run(run.id)] == [
        ("end", {"answer": "42"})
    ]
    with pytest.raises(NotFound):
        await store.runs.finish(MISSING, status="failed", events=[("run_finished", {})])
    assert await store.events.read(MISSING) == []


async def test_finishing_a_run_can_mark_its_job_done(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})
    other = await store.runs.create(workflow_id=workflow.id, inputs={})
    job = await store.jobs.claim_next("w1", 30)
    stolen = await store.jobs.claim_next("w1", 30)
    assert job is not None
    assert stolen is not None
    assert (job.run_id, stolen.run_id) == (run.id, other.id)
    assert await store.jobs.release(stolen.id, "w1") is True
    assert await store.jobs.claim_next("w2", 30) is not None

    await store.runs.finish(run.id, status="succeeded", done_job=job)
    await store.runs.finish(other.id, status="succeeded", done_job=stolen)

    done = await store.jobs.get(job.id)
    assert done is not None
    assert (done.status, done.lease_until) == ("done", None)
    assert done.finished_at is not None
    held = await store.jobs.get(stolen.id)
    assert held is not None
    assert (held.status, held.worker_id) == ("running", "w2")
    finished = await store.runs.get(other.id)
    assert finished is not None
    assert finished.status == "succeeded"


async def test_a_failing_write_among_concurrent_ones_undoes_only_itself(store: Store) -> None:
    workflow = await new_workflow(store)
    runs = [await store.runs.create(workflow_id=workflow.id, inputs={}) for _ in range(3)]

    results = await asyncio.gather(
        store.events.append_many(runs[0].id, [("a", {})]),
        store.events.append_many(
            MISSING, [("lost", {})], nodes=[NodeUpdate(node_id="x", status="a")]
        ),
        store.events.append_many(
            runs[1].id, [("b", {})], nodes=[NodeUpdate(node_id="n", status="s")]
        ),
        store.runs.finish(MISSING, status="failed"),
        store.runs.finish(runs[2].id, status="succeeded", events=[("run_finished", {})]),
        return_exceptions=True,
    )

    assert results[0] == [1]
    assert isinstance(results[1], NotFound)
    assert results[2] == [1]
    assert isinstance(results[3], NotFound)
    assert not isinstance(results[4], BaseException)
    assert results[4].status == "succeeded"
    assert [e.type for e in await store.events.read(runs[1].id)] == ["b"]
    assert [n.node_id for n in await store.nodes.list_for_run(runs[1].id)] == ["n"]
    assert [e.type for e in await store.events.read(runs[2].id)] == ["run_finished"]


async def test_read_events_after_a_sequence_number_in_numeric_order(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})
    other = await store.runs.create(workflow_id=workflow.id, inputs={})
    await store.events.append_many(run.id, [("e", {"n": n}) for n in range(1, 121)])
    await store.events.append(other.id, "e")

    page = await store.events.read(run.id, after_seq=95, limit=10)
    rest = await store.events.read(run.id, after_seq=115)

    assert [e.seq for e in page] == list(range(96, 106))
    assert [e.data["n"] for e in page] == list(range(96, 106))
    assert [e.seq for e in rest] == [116, 117, 118, 119, 120]
    assert await store.events.read(run.id, after_seq=120) == []
    assert await store.events.last_seq(other.id) == 1


async def test_concurrent_appends_never_duplicate_a_sequence_number(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={})

    batches = await asyncio.gather(
        *(store.events.append_many(run.id, [("e", {"w": w})] * 5) for w in range(20))
    )

    assigned = sorted(seq for batch in batches for seq in batch)
    assert assigned == list(range(1, 101))
    assert all(batch == list(range(batch[0], batch[0] + 5)) for batch in batches)
    assert [e.seq for e in await store.events.read(run.id)] == assigned


# Jobs


async def test_jobs_are_claimed_oldest_first_and_completed(store: Store) -> None:
    first = await store.jobs.enqueue("ingest", {"doc": 1})
    second = await store.jobs.enqueue("ingest", {"doc": 2}, max_attempts=5)

    claimed = await store.jobs.claim_next("w1", lease_seconds=30)

    assert claimed is not None
    assert claimed.id == first.id
    assert (claimed.status, claimed.worker_id, claimed.attempts) == ("running", "w1", 1)
    assert claimed.lease_until is not None
    assert claimed.lease_until > time.time() + 20
    assert await store.jobs.complete(first.id, "w1") is True
    done = await store.jobs.get(first.id)
    assert done is not None
    assert (done.status, done.lease_until) == ("done", None)
    assert done.finished_at is not None
    next_job = await store.jobs.claim_next("w1", 30)
    assert next_job is not None
    assert (next_job.id, next_job.payload, next_job.max_attempts) == (second.id, {"doc": 2}, 5)
    assert await store.jobs.claim_next("w1", 30) is None


async def test_claim_honours_kinds_and_run_at(store: Store) -> None:
    later = await store.jobs.enqueue("ingest", {}, run_at=time.time() + 3600)
    schedule = await store.jobs.enqueue("schedule", {})
    ingest = await store.jobs.enqueue("ingest", {})

    claimed = await store.jobs.claim_next("w", 30, kinds=["ingest"])
    assert claimed is not None
    assert claimed.id == ingest.id
    assert await store.jobs.claim_next("w", 30, kinds=["ingest"]) is None
    assert await store.jobs.claim_next("w", 30, kinds=[]) is None
    claimed = await store.jobs.claim_next("w", 30)
    assert claimed is not None
    assert claimed.id == schedule.id
    pending = await store.jobs.get(later.id)
    assert pending is not None
    assert pending.status == "queued"


async def test_claim_many_takes_the_jobs_claim_next_would_in_turn(store: Store) -> None:
    expired = await store.jobs.enqueue("ingest", {"n": 0})
    assert await store.jobs.claim_next("lost", lease_seconds=-1) is not None
    queued = [await store.jobs.enqueue("ingest", {"n": n}) for n in range(1, 4)]
    other_kind = await store.jobs.enqueue("schedule", {})

    claimed = await store.jobs.claim_many("w1", 30, kinds=["ingest"], limit=3)

    assert [job.id for job in claimed] == [expired.id, queued[0].id, queued[1].id]
    assert [job.attempts for job in claimed] == [2, 1, 1]
    assert all(job.status == "running" and job.worker_id == "w1" for job in claimed)
    rest = await store.jobs.claim_many("w2", 30, limit=5)
    assert [job.id for job in rest] == [queued[2].id, other_kind.id]
    assert await store.jobs.claim_many("w2", 30, limit=5) == []
    assert await store.jobs.claim_many("w2", 30, limit=0) == []


async def test_heartbeat_belongs_to_the_lease_holder(store: Store) -> None:
    job = await store.jobs.enqueue("ingest", {})
    claimed = await store.jobs.claim_next("w1", 5)
    assert claimed is not None

    assert await store.jobs.heartbeat(job.id, "w1", 60) is True
    extended = await store.jobs.get(job.id)
    assert extended is not None
    assert extended.lease_until is not None
    assert extended.lease_until > time.time() + 50
    assert await store.jobs.heartbeat(job.id, "w2", 60) is False
    assert await store.jobs.complete(job.id, "w2") is False
    assert await store.jobs.heartbeat(MISSING, "w1", 60) is False
    assert await store.jobs.complete(job.id, "w1") is True
    assert await store.jobs.heartbeat(job.id, "w1", 60) is False


async def test_expired_lease_is_claimable_again(store: Store) -> None:
    job = await store.jobs.enqueue("ingest", {}, max_attempts=3)
    assert await store.jobs.claim_next("w1", lease_seconds=-1) is not None
    await store.jobs.enqueue("ingest", {}, run_at=time.time() - 3600)

    reclaimed = await store.jobs.claim_next("w2", lease_seconds=30)

    assert reclaimed is not None
    assert (reclaimed.id, reclaimed.worker_id, reclaimed.attempts) == (job.id, "w2", 2)
    assert await store.jobs.heartbeat(job.id, "w1", 30) is False
    assert await store.jobs.complete(job.id, "w1") is False
    assert await store.jobs.complete(job.id, "w2") is True


async def test_job_whose_last_lease_expired_is_dead_and_fails_its_run(store: Store) -> None:
    workflow = await new_workflow(store)
    run = await store.runs.create(workflow_id=workflow.id, inputs={}, max_attempts=2)
    assert run.job_id is not None
    for worker in ("w1", "w2"):
        claimed = await store.jobs.claim_next(worker, lease_seconds=-1)
        assert claimed is not None
        assert claimed.id == run.job_id
    await store.runs.mark_running(run.id)

    assert await store.jobs.claim_next("w3", 30) is None

    dead = await store.jobs.get(run.job_id)
    assert dead is not None
    assert dead.status == "dead"
    assert dead.error == "lease expired on attempt 2 of 2"
    assert dead.worker_id is None
    failed = await store.runs.get(run.id)
    assert failed is not None
    assert failed.status == "failed"
    assert failed.error is not None
    assert "lease expired" in failed.error
    assert failed.finished_at is not None


async def test_ingestion_whose_last_lease_expired_fails_its_document(store: Store) -> None:
    kb = await store.knowledge_bases.create(name="Manuals")
    lost = await store.documents.add(kb_id=kb.id, name="guide.pdf")
    done = await store.documents.add(kb_id=kb.id, name="faq.md")
    job = await store.jobs.enqueue(INGEST_JOB_KIND, {"document_id": lost.id}, max_attempts=1)
    assert await store.jobs.claim_next("w1", lease_seconds=-1) is not None
    await store.documents.set_status(lost.id, "processing", progress=0.5)
    other = await store.jobs.enqueue(INGEST_JOB_KIND, {"document_id": done.id}, max_attempts=1)
    assert await store.jobs.claim_next("w2", lease_seconds=30) is not None
    await store.documents.set_status(done.id, "ready", progress=1.0)
    assert await store.jobs.complete(other.id, "w2") is True

    assert await store.jobs.claim_next("w3", 30) is None

    failed = await store.documents.get(lost.id)
    assert failed is not None
    assert (failed.status, failed.error) == (
        "failed",
        "the worker indexing it was lost: lease expired on attempt 1 of 1",
    )
    dead = await store.jobs.get(job.id)
    assert dead is not None
    assert dead.status == "dead"
    untouched = await store.documents.get(done.id)
    assert untouched is not None
    assert untouched.status == "ready"


async def test_fail_retries_while_attempts_remain(store: Store) -> None:
    job = await store.jobs.enqueue("ingest", {}, max_attempts=2)
    await store.jobs.claim_next("w", 30)
    retry_at = time.time() - 1

    assert await store.jobs.fail(job.id, "w", "timeout", retry_at=retry_at) is True
    queued = await store.jobs.get(job.id)
    assert queued is not None
    assert (queued.status, queued.error, queued.run_at, queued.worker_id) == (
        "queued",
        "timeout",
        retry_at,
        None,
    )
    assert await store.jobs.claim_next("w", 30) is not None
    assert await store.jobs.fail(job.id, "w", "timeout again", retry_at=retry_at) is True
    failed = await store.jobs.get(job.id)
    assert failed is not None
    assert (failed.status, failed.error, failed.attempts) == ("failed", "timeout again", 2)

    other = await store.jobs.enqueue("ingest", {})
    await store.jobs.claim_next("w", 30)
    assert await store.jobs.fail(other.id, "w", "bad input") is True
    final = await store.jobs.get(other.id)
    assert final is not None
    assert (final.status, final.error) == ("failed", "bad input")
    assert await store.jobs.fail(other.id, "w", "again") is False


async def test_release_hands_a_job_back_without_counting_the_attempt(store: Store) -> None:
    job = await store.jobs.enqueue("ingest", {})
    await store.jobs.claim_next("w1", 30)

    assert await store.jobs.release(job.id, "w2") is False
    assert await store.jobs.release(job.id, "w1") is True
    released = await store.jobs.get(job.id)
    assert released is not None
    assert (released.status, released.attempts, released.worker_id) == ("queued", 0, None)
    claimed = await store.jobs.claim_next("w2", 30)
    assert claimed is not None
    assert (claimed.id, claimed.attempts) == (job.id, 1)


async def test_list_jobs_newest_first_with_filters(store: Store) -> None:
    a = await store.jobs.enqueue("ingest", {})
    b = await store.jobs.enqueue("schedule", {})
    c = await store.jobs.enqueue("ingest", {})
    await store.jobs.claim_next("w", 30)

    assert [j.id for j in await store.jobs.list()] == [c.id, b.id, a.id]
    assert [j.id for j in await store.jobs.list(kind="ingest")] == [c.id, a.id]
    assert [j.id for j in await store.jobs.list(status="running")] == [a.id]
    assert [j.id for j in await store.jobs.list(status="queued", kind="ingest")] == [c.id]
    assert [j.id for j in await store.jobs.list(limit=1, offset=1)] == [b.id]


async def test_latest_worker_heartbeat(store: Store) -> None:
    await store.workers.beat("w1", {"pid": 1})
    await store.workers.beat("w2")
    beat = await store.workers.beat("w1", {"pid": 2})

    latest = await store.workers.latest()

    assert latest == beat
    assert latest.info == {"pid": 2}


# Conversations and messages


async def test_conversations_page_by_last_id(store: Store) -> None:
    workflow = await new_workflow(store)
    made = [
        await store.conversations.create(workflow_id=workflow.id, user="ann", name=f"c{n}")
        for n in range(5)
    ]
    await store.conversations.create(workflow_id=workflow.id, user="bob")
    await store.conversations.rename(made[1].id, "renamed")

    first = await store.conversations.list(workflow_id=workflow.id, user="ann", limit=2)
    second = await store.conversations.list(
        workflow_id=workflow.id, user="ann", limit=2, last_id=first[-1].id
    )
    third = await store.conversations.list(
        workflow_id=workflow.id, user="ann", limit=2, last_id=second[-1].id
    )

    assert [c.name for c in first + second + third] == ["renamed", "c4", "c3", "c2", "c0"]
    with pytest.raises(NotFound):
        await store.conversations.list(workflow_id=workflow.id, user="ann", last_id=MISSING)
    with pytest.raises(NotFound):
        await store.conversations.create(workflow_id=MISSING, user="ann")


async def test_conversation_variables_and_rename(store: Store) -> None:
    workflow = await new_workflow(store)
    created = await store.conversations.create(
        workflow_id=workflow.id, user="ann", inputs={"lang": "fr"}, variables={"n": 0}
    )

    updated = await store.conversations.set_variables(created.id, {"n": 1, "seen": None})
    renamed = await store.conversations.rename(created.id, "Trip")

    assert updated.variables == {"n": 1, "seen": None}
    assert updated.updated_at >= created.updated_at
    assert (renamed.name, renamed.variables, renamed.inputs) == (
        "Trip",
        {"n": 1, "seen": None},
        {"lang": "fr"},
    )
    assert await store.conversations.get(created.id) == renamed
    with pytest.raises(NotFound):
        await store.conversations.rename(MISSING, "x")
    with pytest.raises(NotFound):
        await store.conversations.set_variables(MISSING, {})


async def test_messages_page_backwards_by_first_id(store: Store) -> None:
    workflow = await new_workflow(store)
    conversation = await store.conversations.create(workflow_id=workflow.id, user="ann")
    run = await store.runs.create(workflow_id=workflow.id, inputs={})
    added = [
        await store.messages.add(
            conversation_id=conversation.id,
            run_id=run.id,
            query=f"q{n}",
            answer=f"a{n}",
            inputs={"n": n},
            tokens=n,
        )
        for n in range(5)
    ]

    latest = await store.messages.list(conversation.id, limit=2)
    older = await store.messages.list(conversation.id, limit=2, first_id=latest[0].id)
    oldest = await store.messages.list(conversation.id, limit=2, first_id=older[0].id)

    assert [m.query for m in latest] == ["q3", "q4"]
    assert [m.query for m in older] == ["q1", "q2"]
    assert [m.query for m in oldest] == ["q0"]
    assert latest[1] == added[4]
    assert await store.messages.count(conversation.id) == 5
    touched = await store.conversations.get(conversation.id)
    assert touched is not None
    assert touched.updated_at == added[4].created_at
    with pytest.raises(NotFound):
        await store.messages.list(conversation.id, first_id=MISSING)
    with pytest.raises(NotFound):
        await store.messages.add(conversation_id=MISSING, run_id=None, query="q", answer="a")


async def test_delete_conversation_drops_messages_and_unlinks_runs(store: Store) -> None:
    workflow = await new_workflow(store)
    conversation = await store.conversations.create(workflow_id=workflow.id, user="ann")
    run = await store.runs.create(
        workflow_id=workflow.id, inputs={}, conversation_id=conversation.id
    )
    await store.messages.add(conversation_id=conversation.id, run_id=run.id, query="q", answer="a")

    assert await store.conversations.delete(conversation.id) is True

    assert await store.conversations.get(conversation.id) is None
    assert await store.messages.count(conversation.id) == 0
    unlinked = await store.runs.get(run.id)
    assert unlinked is not None
    assert unlinked.conversation_id is None
    assert await store.conversations.delete(conversation.id) is False


# Keys and tokens


async def test_api_keys_verify_until_revoked(store: Store) -> None:
    workflow = await new_workflow(store)
    key, plaintext = await store.api_keys.create(workflow.id, "prod")
    _, other_plaintext = await store.api_keys.create(workflow.id)

    assert plaintext.startswith("app-")
    assert len(plaintext) >= len("app-") + 24
    assert key.prefix.startswith(plaintext[:8])
    assert plaintext not in key.prefix
    assert await store.api_keys.verify(plaintext) == key
    assert await store.api_keys.verify(plaintext + "x") is None
    assert [k.name for k in await store.api_keys.list(workflow.id)] == ["prod", ""]

    assert await store.api_keys.revoke(key.id) is True
    assert await store.api_keys.verify(plaintext) is None
    assert await store.api_keys.verify(other_plaintext) is not None
    revoked = (await store.api_keys.list(workflow.id))[0]
    assert revoked.revoked_at is not None
    assert await store.api_keys.revoke(MISSING) is False
    with pytest.raises(NotFound):
        await store.api_keys.create(MISSING)


async def test_admin_tokens_record_their_use(store: Store) -> None:
    token, plaintext = await store.admin_tokens.create("ci")

    assert plaintext.startswith("fst-")
    assert token.last_used_at is None
    verified = await store.admin_tokens.verify(plaintext)
    assert verified is not None
    assert verified.id == token.id
    assert verified.last_used_at is not None
    assert await store.admin_tokens.verify("fst-wrong") is None
    assert [t.last_used_at for t in await store.admin_tokens.list()] == [verified.last_used_at]
    assert await store.admin_tokens.revoke(token.id) is True
    assert await store.admin_tokens.verify(plaintext) is None


async def test_only_hashes_of_keys_are_stored(store: Store) -> None:
    workflow = await new_workflow(store)
    _, app_key = await store.api_keys.create(workflow.id)
    _, admin_token = await store.admin_tokens.create()

    stored = repr(await raw_rows(store, table_name(store, "api_keys")))
    stored += repr(await raw_rows(store, table_name(store, "admin_tokens")))

    assert app_key not in stored
    assert admin_token not in stored
    assert app_key[8:] not in stored


# Providers and meta


async def test_provider_secrets_are_encrypted_at_rest(store: Store, tmp_path: Path) -> None:
    secret = "sk-live-0123456789abcdef"
    put = await store.providers.put(
        "openai",
        kind="openai",
        base_url="https://api.openai.com/v1",
        secrets={"api_key": secret},
        options={"timeout": 30, "proxy": None},
    )

    got = await store.providers.get("openai")

    assert got == put
    assert got.secrets == {"api_key": secret}
    assert got.options == {"timeout": 30, "proxy": None}
    raw = repr(await raw_rows(store, table_name(store, "providers")))
    assert secret not in raw
    assert not files_contain(tmp_path, secret.encode())
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


async def test_provider_listing_names_secrets_without_values(store: Store) -> None:
    first = await store.providers.put("ollama", kind="ollama", base_url="http://localhost:11434")
    await store.providers.put("openai", kind="openai", secrets={"api_key": "a", "org": "b"})
    replaced = await store.providers.put("openai", kind="openai", secrets={"api_key": "c"})

    listed = await store.providers.list()

    assert [(p.id, p.secret_names, p.secrets) for p in listed] == [
        ("ollama", [], {}),
        ("openai", ["api_key"], {}),
    ]
    assert listed[0].created_at == first.created_at
    got = await store.providers.get("openai")
    assert got is not None
    assert got.secrets == {"api_key": "c"}
    assert got.created_at <= replaced.updated_at
    assert await store.providers.delete("openai") is True
    assert await store.providers.get("openai") is None
    assert await store.providers.delete("openai") is False


async def test_meta_values(store: Store) -> None:
    await store.meta.set("password_hash", "scrypt$abc")
    await store.meta.set("password_hash", "scrypt$def")

    assert await store.meta.get("password_hash") == "scrypt$def"


# Knowledge


async def test_knowledge_base_names_are_unique(store: Store) -> None:
    kb = await store.knowledge_bases.create(
        name="Manuals", embedding_provider="ollama", embedding_model="nomic", chunk_size=300
    )
    await store.knowledge_bases.create(name="Archive")

    with pytest.raises(Conflict):
        await store.knowledge_bases.create(name="Manuals")
    assert await store.knowledge_bases.get(kb.id) == kb
    assert [k.name for k in await store.knowledge_bases.list()] == ["Archive", "Manuals"]


async def test_documents_track_ingestion(store: Store) -> None:
    kb = await store.knowledge_bases.create(name="Manuals")
    doc = await store.documents.add(
        kb_id=kb.id, name="guide.pdf", source="upload", size=2048, metadata={"lang": "en"}
    )
    second = await store.documents.add(kb_id=kb.id, name="faq.md")

    failing = await store.documents.set_status(doc.id, "processing", progress=0.5)
    failed = await store.documents.set_status(doc.id, "failed", error="unreadable")
    ready = await store.documents.set_status(doc.id, "ready", progress=1.0, chunk_count=12)

    assert doc.status == "queued"
    assert (failing.status, failing.progress) == ("processing", 0.5)
    assert (failed.error, failed.progress) == ("unreadable", 0.5)
    assert (ready.status, ready.error, ready.progress, ready.chunk_count) == (
        "ready",
        None,
        1.0,
        12,
    )
    assert await store.documents.get(doc.id) == ready
    assert [d.id for d in await store.documents.list(kb.id)] == [doc.id, second.id]
    assert ready.metadata == {"lang": "en"}
    with pytest.raises(NotFound):
        await store.documents.add(kb_id=MISSING, name="x")
    with pytest.raises(NotFound):
        await store.documents.set_status(MISSING, "ready")


async def test_chunks_and_cascading_deletes(store: Store) -> None:
    kb = await store.knowledge_bases.create(name="Manuals")
    doc = await store.documents.add(kb_id=kb.id, name="guide.pdf")
    other = await store.documents.add(kb_id=kb.id, name="faq.md")
    added = await store.chunks.add_many(
        doc.id,
        [
            NewChunk(position=1, content="second", embedding=[0.5, -1.0, 0.25]),
            NewChunk(position=0, content="first", metadata={"page": 1, "note": None}),
        ],
    )
    await store.chunks.add_many(other.id, [NewChunk(position=0, content="faq")])

    listed = await store.chunks.list(doc.id)

    assert [c.content for c in listed] == ["first", "second"]
    assert listed[0].metadata == {"page": 1, "note": None}
    assert listed[1].embedding == [0.5, -1.0, 0.25]
    assert listed[0].embedding is None
    assert all((c.kb_id, c.document_id) == (kb.id, doc.id) for c in listed)
    assert sorted(c.id for c in listed) == sorted(c.id for c in added)
    assert [c.content for c in await store.chunks.list(doc.id, limit=1, offset=1)] == ["second"]
    with pytest.raises(NotFound):
        await store.chunks.add_many(MISSING, [NewChunk(position=0, content="x")])

    assert await store.documents.delete(doc.id) is True
    assert await store.chunks.list(doc.id) == []
    assert await store.documents.delete(doc.id) is False
    assert await store.knowledge_bases.delete(kb.id) is True
    assert await store.documents.get(other.id) is None
    assert await store.chunks.list(other.id) == []
    assert await store.knowledge_bases.delete(kb.id) is False


# Persistence


async def test_reopened_store_reads_everything_back(reopen: Opener) -> None:
    async with await reopen() as store:
        workflow = await new_workflow(store)
        version = await store.workflows.publish(workflow.id)
        run = await store.runs.create(workflow_id=workflow.id, inputs={"q": 1}, version=1)
        await store.events.append_many(run.id, [("a", {}), ("b", {"x": None})])
        await store.providers.put("openai", kind="openai", secrets={"api_key": "sk-1"})
        _, plaintext = await store.api_keys.create(workflow.id)
        claimed = await store.jobs.claim_next("w1", 30)

    async with await reopen() as store:
        reread = await store.workflows.get(workflow.id)
        assert reread is not None
        assert (reread.document, reread.published_version) == (DOCUMENT, 1)
        assert await store.workflows.latest_version(workflow.id) == version
        assert await store.runs.get(run.id) == run
        assert [e.type for e in await store.events.read(run.id)] == ["a", "b"]
        assert await store.events.append(run.id, "c") == 3
        provider = await store.providers.get("openai")
        assert provider is not None
        assert provider.secrets == {"api_key": "sk-1"}
        assert await store.api_keys.verify(plaintext) is not None
        assert await store.jobs.get(run.job_id or "") == claimed

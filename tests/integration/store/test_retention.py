"""Deleting old finished runs (`Runs.delete_finished`), on every adapter: SQLite,
SurrealDB mem:// and surrealkv://."""

from __future__ import annotations

import asyncio
import time
from typing import get_args

from flowstead.engine.events import RunStatus
from flowstead.store import Store
from flowstead.store.protocol import FINISHED_RUN_STATUSES, NodeUpdate
from flowstead.store.records import Job, Run
from tests.integration.store.test_feedback import chat_turn


async def finished_run(
    store: Store, workflow_id: str, status: str = "succeeded", *, events: int = 3, **kwargs: str
) -> tuple[Run, Job]:
    """A run of the draft that ran on a worker, logged `events` events and a node, and
    ended with `status`; and its job (done)."""
    run = await store.runs.create(workflow_id=workflow_id, inputs={"q": "hi"}, **kwargs)
    job = await store.jobs.claim_next("w1", 30)
    assert job is not None
    assert job.run_id == run.id
    await store.events.append_many(
        run.id,
        [("text_chunk", {"text": str(n)}) for n in range(events)],
        nodes=[NodeUpdate(node_id="llm", status="running")],
        mark_running=True,
    )
    ended = await store.runs.finish(
        run.id,
        status=status,
        nodes=[NodeUpdate(node_id="llm", status="succeeded")],
        done_job=job,
    )
    return ended, job


async def now_after(moment: float) -> float:
    """The time, once the clock has moved past `moment` (the store's clock is the real one)."""
    await asyncio.sleep(max(0.0, moment - time.time()) + 0.002)
    return time.time()


async def gone(store: Store, run: Run, job: Job) -> bool:
    """Whether nothing of the run is left: record, log, nodes, draft snapshot, job."""
    return (
        await store.runs.get(run.id) is None
        and await store.events.read(run.id) == []
        and await store.nodes.list_for_run(run.id) == []
        and await store.runs.document(run.id) is None
        and await store.jobs.get(job.id) is None
    )


def test_the_finished_statuses_are_the_engines() -> None:
    assert set(FINISHED_RUN_STATUSES) == set(get_args(RunStatus))


async def test_old_finished_runs_go_with_their_events_nodes_drafts_and_jobs(
    store: Store,
) -> None:
    workflow = await store.workflows.create(name="w", document={"nodes": []})
    old = [await finished_run(store, workflow.id, status) for status in FINISHED_RUN_STATUSES]
    # Finished long ago by the store's clock, but its job is still running on a worker.
    still_held = await store.runs.create(workflow_id=workflow.id, inputs={})
    held_job = await store.jobs.claim_next("w2", 30)
    assert held_job is not None
    await store.runs.finish(still_held.id, status="failed", error="x")
    running = await store.runs.create(workflow_id=workflow.id, inputs={})
    assert await store.jobs.claim_next("w3", 30) is not None
    await store.events.append_many(running.id, [("workflow_started", {})], mark_running=True)
    cutoff = await now_after(old[-1][0].finished_at or 0)
    await now_after(cutoff)
    recent, recent_job = await finished_run(store, workflow.id)
    queued = await store.runs.create(workflow_id=workflow.id, inputs={})

    assert await store.runs.delete_finished(cutoff) == len(FINISHED_RUN_STATUSES)

    for run, job in old:
        assert await gone(store, run, job)
    for kept in (still_held, running, queued, recent):
        assert await store.runs.get(kept.id) is not None
        assert await store.runs.document(kept.id) == {"nodes": []}
    assert [e.seq for e in await store.events.read(recent.id)] == [1, 2, 3]
    assert len(await store.nodes.list_for_run(recent.id)) == 1
    assert await store.jobs.get(recent_job.id) is not None
    assert await store.events.last_seq(running.id) == 1
    assert await store.runs.delete_finished(cutoff) == 0


async def test_more_runs_than_one_batch_all_go(store: Store) -> None:
    workflow = await store.workflows.create(name="w", document={})
    runs = [await finished_run(store, workflow.id) for _ in range(7)]

    assert await store.runs.delete_finished(await now_after(time.time()), batch=3) == 7

    for run, job in runs:
        assert await gone(store, run, job)


async def test_a_long_log_goes_over_several_batches(store: Store) -> None:
    workflow = await store.workflows.create(name="w", document={})
    long, long_job = await finished_run(store, workflow.id, events=250)
    short, short_job = await finished_run(store, workflow.id)

    assert await store.runs.delete_finished(await now_after(time.time()), batch=1) == 2

    assert await gone(store, long, long_job)
    assert await gone(store, short, short_job)


async def test_two_sweeps_at_once_remove_each_run_once(store: Store) -> None:
    workflow = await store.workflows.create(name="w", document={})
    for _ in range(6):
        await finished_run(store, workflow.id)
    cutoff = await now_after(time.time())

    removed = await asyncio.gather(
        store.runs.delete_finished(cutoff, batch=2), store.runs.delete_finished(cutoff, batch=2)
    )

    assert sum(removed) == 6
    assert await store.runs.list(workflow_id=workflow.id) == []


async def test_a_run_resumed_from_a_removed_run_stays(store: Store) -> None:
    workflow = await store.workflows.create(name="w", document={})
    source, _job = await finished_run(store, workflow.id)
    cutoff = await now_after(time.time())
    rerun = await store.runs.create(workflow_id=workflow.id, inputs={}, resumed_from=source.id)

    assert await store.runs.delete_finished(cutoff) == 1

    kept = await store.runs.get(rerun.id)
    assert kept is not None
    assert kept.status == "queued"


async def test_messages_and_feedback_of_a_removed_run_stay(store: Store) -> None:
    conversation, message = await chat_turn(store)
    assert message.run_id is not None
    job = await store.jobs.claim_next("w1", 30)
    assert job is not None
    await store.runs.finish(message.run_id, status="succeeded", done_job=job)
    feedback = await store.feedbacks.rate(message.id, "like", "good")

    assert await store.runs.delete_finished(await now_after(time.time())) == 1

    assert await store.runs.get(message.run_id) is None
    assert await store.messages.get(message.id) == message
    assert await store.messages.answered_by(message.run_id) == message
    assert await store.messages.list(conversation.id) == [message]
    assert await store.feedbacks.get(message.id) == feedback
    assert await store.feedbacks.list(workflow_id=conversation.workflow_id) == [feedback]

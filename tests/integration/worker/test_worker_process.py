"""Real `flowstead worker` processes executing runs from a real SQLite file."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

from flowstead.services.resume import INTERRUPTED
from flowstead.services.runs import RunService
from flowstead.store import Store
from flowstead.store.records import Run, RunEvent
from tests.fakes import FakeModelServer, Hang, Reply
from tests.integration.worker.conftest import (
    WAIT,
    StartWorker,
    chat_document,
    published,
    workflow_document,
)


async def finished(runs: RunService, run_id: str) -> Run:
    async with asyncio.timeout(WAIT):
        run = await runs.wait(run_id)
    assert run is not None
    return run


async def first_text_chunk(runs: RunService, run_id: str) -> RunEvent:
    async with asyncio.timeout(WAIT):
        async for event in runs.events_after(run_id):
            if event.type == "text_chunk":
                return event
    raise AssertionError("the run ended without streaming text")


def stalling(text: str, seconds: float = WAIT * 2) -> Reply:
    """A streamed answer that stops for `seconds` after its first two words."""
    return Reply(text=text, fault=Hang(seconds=seconds, after=3))


async def log_of(store: Store, run_id: str) -> list[RunEvent]:
    return await store.events.read(run_id, limit=10_000)


async def test_a_worker_executes_the_published_version_not_the_draft(
    store: Store, runs: RunService, start_worker: StartWorker
) -> None:
    workflow_id = await published(store, workflow_document("published: {{ start.question }}"))
    await store.workflows.update_draft(
        workflow_id, workflow_document("draft: {{ start.question }}")
    )
    start_worker()

    run = await runs.start_run(workflow_id, inputs={"question": "hello"})
    done = await finished(runs, run.id)

    assert done.status == "succeeded", done.error
    assert done.outputs == {"answer": "published: hello"}
    events = await log_of(store, run.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "run_started"
    assert events[-1].type == "run_finished"
    assert "text_chunk" in {e.type for e in events}
    nodes = await store.nodes.list_for_run(run.id)
    assert [(n.node_id, n.status) for n in nodes] == [
        ("start", "succeeded"),
        ("llm", "succeeded"),
        ("end", "succeeded"),
    ]


async def test_the_second_chat_turn_remembers_the_first(
    store: Store, runs: RunService, start_worker: StartWorker
) -> None:
    workflow_id = await published(store, chat_document())
    start_worker()

    first = await runs.start_run(workflow_id, query="My name is Ada.", user="u1")
    assert (await finished(runs, first.id)).status == "succeeded"
    second = await runs.start_run(
        workflow_id, query="What is my name?", user="u1", conversation_id=first.conversation_id
    )
    done = await finished(runs, second.id)

    assert done.status == "succeeded", done.error
    assert done.outputs == {"answer": "My name is Ada. | What is my name?"}
    assert first.conversation_id is not None
    messages = await store.messages.list(first.conversation_id)
    assert [(m.query, m.run_id) for m in messages] == [
        ("My name is Ada.", first.id),
        ("What is my name?", second.id),
    ]
    conversation = await store.conversations.get(first.conversation_id)
    assert conversation is not None
    assert conversation.variables["turns"] == 2
    end = (await log_of(store, second.id))[-1]
    assert end.data["message_id"] == messages[-1].id


async def test_a_chat_turn_keeps_only_the_variables_it_changed(
    store: Store, runs: RunService, start_worker: StartWorker, model_server: FakeModelServer
) -> None:
    document = chat_document()
    document["conversation_variables"].append({"name": "topic", "type": "string"})
    workflow_id = await published(store, document)
    start_worker()
    first = await runs.start_run(workflow_id, query="hello", user="u1")
    assert (await finished(runs, first.id)).status == "succeeded"
    conversation_id = first.conversation_id
    assert conversation_id is not None

    model_server.enqueue(stalling("one two three", seconds=1.0))
    second = await runs.start_run(
        workflow_id, query="again", user="u1", conversation_id=conversation_id
    )
    await first_text_chunk(runs, second.id)
    # Set meanwhile, as `PUT /v1/conversations/{id}/variables/{id}` does.
    current = await store.conversations.get(conversation_id)
    assert current is not None
    await store.conversations.set_variables(conversation_id, current.variables | {"topic": "cats"})
    assert (await finished(runs, second.id)).status == "succeeded"

    conversation = await store.conversations.get(conversation_id)
    assert conversation is not None
    assert conversation.variables == {"turns": 2, "topic": "cats"}


async def test_a_run_whose_worker_was_killed_resumes_on_another_worker(
    store: Store, runs: RunService, start_worker: StartWorker, model_server: FakeModelServer
) -> None:
    workflow_id = await published(store, workflow_document())
    model_server.enqueue(stalling("one two three four"))
    first = start_worker()
    run = await runs.start_run(workflow_id, inputs={"question": "one two three four"})

    await first_text_chunk(runs, run.id)
    first.signal(signal.SIGKILL)
    await asyncio.to_thread(first.wait)
    start_worker()  # claims the run once the dead worker's lease (1 s) has expired
    done = await finished(runs, run.id)

    assert done.status == "succeeded", done.error
    assert done.outputs == {"answer": "one two three four"}
    events = await log_of(store, run.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    started = [e.data["resumed"] for e in events if e.type == "run_started"]
    assert started == [False, True]
    finished_nodes = Counter(e.data["node_id"] for e in events if e.type == "node_finished")
    assert finished_nodes == {"start": 1, "llm": 1, "end": 1}
    assert [e.type for e in events].count("run_finished") == 1
    # The half-streamed LLM node is announced as retried right after the resumed start,
    # so a client drops its text before the node streams again.
    resumed_at = next(i for i, e in enumerate(events) if e.data.get("resumed"))
    retry = events[resumed_at + 1]
    assert (retry.type, retry.data["node_id"], retry.data["error"]) == (
        "node_retry",
        "llm",
        INTERRUPTED,
    )
    assert events[resumed_at + 2].type == "node_started"


async def test_sigterm_lets_a_short_run_finish_and_exits_cleanly(
    store: Store, runs: RunService, start_worker: StartWorker, model_server: FakeModelServer
) -> None:
    workflow_id = await published(store, workflow_document())
    model_server.enqueue(stalling("a b c", seconds=1.0))
    worker = start_worker(grace_seconds=WAIT)
    run = await runs.start_run(workflow_id, inputs={"question": "a b c"})

    await first_text_chunk(runs, run.id)
    worker.signal(signal.SIGTERM)

    assert await asyncio.to_thread(worker.wait) == 0
    done = await store.runs.get(run.id)
    assert done is not None
    assert done.status == "succeeded", done.error


async def test_sigterm_hands_a_long_run_back_and_another_worker_finishes_it(
    store: Store, runs: RunService, start_worker: StartWorker, model_server: FakeModelServer
) -> None:
    workflow_id = await published(store, workflow_document())
    model_server.enqueue(stalling("a b c d e f g h"))
    worker = start_worker(grace_seconds=0.2)
    run = await runs.start_run(workflow_id, inputs={"question": "a b c d e f g h"})

    await first_text_chunk(runs, run.id)
    worker.signal(signal.SIGTERM)

    assert await asyncio.to_thread(worker.wait) == 0
    handed_back = await store.runs.get(run.id)
    assert handed_back is not None
    assert handed_back.status == "running"
    assert handed_back.job_id is not None
    job = await store.jobs.get(handed_back.job_id)
    assert job is not None
    assert (job.status, job.attempts) == ("queued", 0)

    start_worker()
    done = await finished(runs, run.id)
    assert done.status == "succeeded", done.error
    events = await log_of(store, run.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


async def test_a_stopped_run_ends_stopped_without_waiting_for_its_node(
    store: Store, runs: RunService, start_worker: StartWorker, model_server: FakeModelServer
) -> None:
    workflow_id = await published(store, workflow_document())
    model_server.enqueue(stalling("a b c d e f g h i j"))
    start_worker()
    run = await runs.start_run(workflow_id, inputs={"question": "a b c d e f g h i j"})

    await first_text_chunk(runs, run.id)
    assert await runs.stop_run(run.id)
    done = await finished(runs, run.id)

    assert done.status == "stopped"
    end = (await log_of(store, run.id))[-1]
    assert (end.type, end.data["status"]) == ("run_finished", "stopped")

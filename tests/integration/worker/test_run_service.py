"""The run service and the executor in one process, on SQLite and SurrealDB (mem://)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from flowstead.engine.limits import Limits
from flowstead.services.collaborators import open_collaborators
from flowstead.services.execution import RunExecutor
from flowstead.services.notify import Notifier
from flowstead.services.runs import RunRejected, RunService
from flowstead.settings import Settings
from flowstead.store import Store
from flowstead.store.records import Run
from tests.fakes import FakeModelServer, Hang, Reply
from tests.integration.worker.conftest import WAIT, chat_document, published, workflow_document


@pytest.fixture(params=["sqlite", "surreal-mem"])
def database_url(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "sqlite" else "mem://"


@pytest.fixture
async def executor(
    store: Store, notifier: Notifier, settings: Settings
) -> AsyncIterator[RunExecutor]:
    async with open_collaborators(store, settings.data_dir, max_file_bytes=1024) as collaborators:
        yield RunExecutor(store, notifier, collaborators, limits=Limits())


async def executed(executor: RunExecutor, store: Store, run: Run) -> Run:
    async with asyncio.timeout(WAIT):
        await executor.execute(run.id)
    done = await store.runs.get(run.id)
    assert done is not None
    return done


async def test_invalid_inputs_are_refused_and_nothing_is_stored(
    store: Store, runs: RunService
) -> None:
    workflow_id = await published(store, workflow_document())

    with pytest.raises(RunRejected, match="question") as refused:
        await runs.start_run(workflow_id, inputs={"other": "x"})

    assert refused.value.code == "invalid_param"
    assert await store.runs.list() == []
    assert await store.jobs.list() == []


@pytest.mark.parametrize(
    ("document", "arguments", "code"),
    [
        (workflow_document(), {"workflow_id": "nope"}, "not_found"),
        (workflow_document(), {"version": 7}, "not_found"),
        (workflow_document(), {"mode": "chat"}, "not_chat_app"),
        (chat_document(), {"mode": "workflow", "query": "hi"}, "not_workflow_app"),
        (chat_document(), {"query": "  "}, "invalid_param"),
        (chat_document(), {"query": "hi", "conversation_id": "nope"}, "not_found"),
    ],
)
async def test_a_run_that_cannot_start_is_refused(
    store: Store, runs: RunService, document: dict[str, Any], arguments: dict[str, Any], code: str
) -> None:
    workflow_id = await published(store, document)
    arguments = {"workflow_id": workflow_id, "inputs": {"question": "q"}, **arguments}

    with pytest.raises(RunRejected) as refused:
        await runs.start_run(**arguments)

    assert refused.value.code == code
    assert await store.runs.list() == []


async def test_an_unpublished_workflow_runs_only_as_a_draft(
    store: Store, runs: RunService, executor: RunExecutor
) -> None:
    workflow = await store.workflows.create(
        name="t", document=workflow_document("draft {{ start.question }}")
    )
    with pytest.raises(RunRejected) as refused:
        await runs.start_run(workflow.id, inputs={"question": "q"})
    assert refused.value.code == "not_published"

    run = await runs.start_run(workflow.id, version=None, inputs={"question": "q"})
    done = await executed(executor, store, run)

    assert (done.status, done.outputs) == ("succeeded", {"answer": "draft q"})


async def test_following_a_run_gets_text_while_its_node_still_streams(
    store: Store, runs: RunService, executor: RunExecutor, model_server: FakeModelServer
) -> None:
    workflow_id = await published(store, workflow_document())
    model_server.enqueue(Reply(text="one two three", fault=Hang(seconds=0.5, after=2)))
    run = await runs.start_run(workflow_id, inputs={"question": "q"})
    execution = asyncio.create_task(executor.execute(run.id))

    seen: list[str] = []
    async with asyncio.timeout(WAIT):
        async for event in runs.events_after(run.id):
            seen.append(event.type)
            if event.type == "text_chunk" and seen.count("text_chunk") == 1:
                stored = {e.type for e in await store.events.read(run.id)}
                assert "run_finished" not in stored
                assert seen.count("node_finished") == 1  # start's; the LLM is still going
        await execution

    assert seen[0] == "run_started"
    assert seen[-1] == "run_finished"
    assert seen.count("text_chunk") == 3


async def test_following_again_after_a_sequence_number_loses_nothing(
    store: Store, runs: RunService, executor: RunExecutor
) -> None:
    workflow_id = await published(store, workflow_document())
    run = await executed(
        executor, store, await runs.start_run(workflow_id, inputs={"question": "a b"})
    )
    everything = await store.events.read(run.id)

    again = [event async for event in runs.events_after(run.id, 3)]

    assert again == everything[3:]


async def test_rerun_from_a_node_reuses_the_outputs_before_it(
    store: Store, runs: RunService, executor: RunExecutor, model_server: FakeModelServer
) -> None:
    workflow_id = await published(store, workflow_document())
    first = await executed(
        executor, store, await runs.start_run(workflow_id, inputs={"question": "q"})
    )
    asked = len(model_server.requests)

    rerun = await runs.rerun_from(first.id, "end", {"llm.text": "edited"})
    done = await executed(executor, store, rerun)

    assert (done.status, done.outputs) == ("succeeded", {"answer": "edited"})
    assert done.resumed_from == first.id
    assert len(model_server.requests) == asked
    nodes = {n.node_id: n.status for n in await store.nodes.list_for_run(rerun.id)}
    assert nodes == {"start": "succeeded", "llm": "succeeded", "end": "succeeded"}

    again = await executed(executor, store, await runs.rerun_from(first.id, "llm"))
    assert again.outputs == {"answer": "q"}
    assert len(model_server.requests) == asked + 1


async def test_rerun_needs_a_finished_run_and_a_known_node(
    store: Store, runs: RunService, executor: RunExecutor
) -> None:
    workflow_id = await published(store, workflow_document())
    queued = await runs.start_run(workflow_id, inputs={"question": "q"})
    with pytest.raises(RunRejected) as refused:
        await runs.rerun_from(queued.id, "llm")
    assert refused.value.code == "conflict"

    await executed(executor, store, queued)
    with pytest.raises(RunRejected) as refused:
        await runs.rerun_from(queued.id, "nowhere")
    assert refused.value.code == "not_found"


async def test_a_run_stopped_before_it_starts_ends_stopped(
    store: Store, runs: RunService, executor: RunExecutor
) -> None:
    workflow_id = await published(store, workflow_document())
    run = await runs.start_run(workflow_id, inputs={"question": "q"})

    assert await runs.stop_run(run.id)
    done = await executed(executor, store, run)

    assert done.status == "stopped"
    assert not await runs.stop_run("nope")


async def test_a_run_that_cannot_continue_ends_failed_with_the_reason(
    store: Store, runs: RunService, executor: RunExecutor
) -> None:
    broken = workflow_document()
    broken["nodes"][1]["type"] = "mystery"
    workflow = await store.workflows.create(name="t", document=broken)
    run = await store.runs.create(workflow_id=workflow.id, inputs={}, version=None)
    await store.runs.mark_running(run.id)  # as if its worker had died

    done = await executed(executor, store, run)

    assert done.status == "failed"
    assert done.error is not None
    assert done.error.startswith("the run cannot continue: the workflow cannot run")
    assert "mystery" in done.error
    events = await store.events.read(run.id)
    assert [(e.type, e.data["status"]) for e in events] == [("run_finished", "failed")]
    assert [e async for e in runs.events_after(run.id)] == events

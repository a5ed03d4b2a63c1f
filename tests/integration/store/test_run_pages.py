"""`runs.page`: filtered pages of runs with their total, on every adapter (SQLite,
SurrealDB mem:// and surrealkv://)."""

from __future__ import annotations

from typing import Any

from flowstead.store import Store
from flowstead.store.protocol import RunQuery
from flowstead.store.records import Run, Workflow


async def published(store: Store, mode: str = "workflow") -> Workflow:
    workflow = await store.workflows.create(name="Logged", document={}, mode=mode)
    await store.workflows.publish(workflow.id)
    return workflow


async def finished(
    store: Store,
    workflow: Workflow,
    status: str = "succeeded",
    *,
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    user: str = "alice",
    version: int | None = 1,
    mode: str = "workflow",
) -> Run:
    run = await store.runs.create(
        workflow_id=workflow.id, inputs=inputs or {}, version=version, user=user, mode=mode
    )
    return await store.runs.finish(run.id, status=status, outputs=outputs)


def ids(runs: list[Run]) -> list[str]:
    return [run.id for run in runs]


async def test_a_page_is_newest_first_and_counts_every_match(store: Store) -> None:
    workflow = await published(store)
    runs = [await finished(store, workflow) for _ in range(5)]
    other = await published(store)
    await finished(store, other)
    query = RunQuery(workflow_id=workflow.id)

    first, total = await store.runs.page(query, limit=2)
    last, again = await store.runs.page(query, limit=2, offset=4)

    assert total == again == 5
    assert ids(first) == [runs[4].id, runs[3].id]
    assert ids(last) == [runs[0].id]
    assert await store.runs.page(query, limit=2, offset=6) == ([], 5)
    assert await store.runs.page(RunQuery(workflow_id="nothing")) == ([], 0)


async def test_filters_by_status_mode_version_and_user(store: Store) -> None:
    workflow = await published(store)
    ok = await finished(store, workflow, "succeeded")
    failed = await finished(store, workflow, "failed", user="bob")
    stopped = await finished(store, workflow, "stopped")
    draft = await finished(store, workflow, version=None)
    chat = await finished(store, workflow, mode="chat")

    async def found(**fields: Any) -> list[str]:
        runs, total = await store.runs.page(RunQuery(workflow_id=workflow.id, **fields))
        assert total == len(runs)
        return ids(runs)

    assert await found(statuses=("failed",)) == [failed.id]
    assert await found(statuses=("failed", "stopped")) == [stopped.id, failed.id]
    assert await found(mode="chat") == [chat.id]
    assert await found(published=False) == [draft.id]
    assert await found(published=True, mode="workflow") == [stopped.id, failed.id, ok.id]
    assert await found(user="bob") == [failed.id]


async def test_creation_bounds_are_inclusive(store: Store) -> None:
    workflow = await published(store)
    runs = [await finished(store, workflow) for _ in range(3)]
    middle = runs[1].created_at

    after, _ = await store.runs.page(RunQuery(workflow_id=workflow.id, created_after=middle))
    before, _ = await store.runs.page(RunQuery(workflow_id=workflow.id, created_before=middle))
    only, total = await store.runs.page(
        RunQuery(workflow_id=workflow.id, created_after=middle, created_before=middle)
    )

    assert ids(after) == [runs[2].id, runs[1].id]
    assert ids(before) == [runs[1].id, runs[0].id]
    assert (ids(only), total) == ([runs[1].id], 1)


async def test_a_keyword_searches_inputs_outputs_the_user_and_the_id(store: Store) -> None:
    workflow = await published(store)
    by_input = await finished(store, workflow, inputs={"city": "Lisbon"})
    by_output = await finished(store, workflow, outputs={"answer": "Café au lait"})
    by_user = await finished(store, workflow, user="ops-team")
    await finished(store, workflow, inputs={"city": "Oslo"}, outputs={"answer": "no"})

    async def found(keyword: str) -> list[str]:
        runs, _ = await store.runs.page(RunQuery(workflow_id=workflow.id, keyword=keyword))
        return ids(runs)

    assert await found("lisbon") == [by_input.id]  # any case
    assert await found("LISBON") == [by_input.id]
    assert await found("Café") == [by_output.id]
    assert await found("ops-") == [by_user.id]
    assert await found(by_output.id) == [by_output.id]
    assert await found(by_output.id[:8]) == []  # an id matches whole
    assert len(await found('"city"')) == 2  # the JSON text, quotes and all


async def test_a_keyword_takes_like_wildcards_literally(store: Store) -> None:
    workflow = await published(store)
    percent = await finished(store, workflow, inputs={"q": "100% sure"})
    await finished(store, workflow, inputs={"q": "100 sure"})
    underscore = await finished(store, workflow, inputs={"q": "a_b"})
    await finished(store, workflow, inputs={"q": "axb"})
    backslash = await finished(store, workflow, user="dom\\ain")

    async def found(keyword: str) -> list[str]:
        runs, _ = await store.runs.page(RunQuery(workflow_id=workflow.id, keyword=keyword))
        return ids(runs)

    assert await found("0%") == [percent.id]
    assert await found("a_b") == [underscore.id]
    assert await found("m\\a") == [backslash.id]

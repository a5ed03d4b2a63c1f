"""Draft editing: ids for new nodes, undo with coalesced bursts, validation cached by content."""

from __future__ import annotations

from flowstead.store.protocol import Store
from flowstead.web.drafts import DraftEditor, new_node_id
from tests.integration.web.conftest import create


def test_new_ids_are_identifiers_and_never_reserved() -> None:
    assert new_node_id("llm", []) == "llm"
    assert new_node_id("llm", ["llm", "llm_2"]) == "llm_3"
    assert new_node_id("loop", []) == "loop_1"
    assert new_node_id("if_else", ["if_else"]) == "if_else_2"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_of_edits_to_one_node_is_one_undo(store: Store) -> None:
    clock = Clock()
    drafts = DraftEditor(clock=clock)
    workflow_id = await create(store)
    original = (await store.workflows.get(workflow_id)).document  # type: ignore[union-attr]
    for text in ("a", "ab", "abc"):
        clock.now += 1
        await drafts.save_node(
            store,
            workflow_id,
            "end",
            config={"outputs": [{"name": text, "value": "llm.text"}]},
            settings={},
            key="node:end",
        )
    clock.now += 10
    await drafts.save_structure(store, workflow_id, positions={"end": (1, 2)}, edges=None)
    await drafts.undo(store, workflow_id)
    await drafts.undo(store, workflow_id)
    assert (await store.workflows.get(workflow_id)).document == original  # type: ignore[union-attr]
    assert not drafts.can_undo(workflow_id)


async def test_an_unchanged_save_is_no_undo_step(store: Store) -> None:
    drafts = DraftEditor()
    workflow_id = await create(store)
    await drafts.save_structure(store, workflow_id, positions={}, edges=None)
    assert not drafts.can_undo(workflow_id)


async def test_deleting_a_container_deletes_its_children_and_their_edges(store: Store) -> None:
    drafts = DraftEditor()
    workflow_id = await create(store)
    _, loop = await drafts.add_node(store, workflow_id, "iteration", 0, 0)
    _, inner = await drafts.add_node(store, workflow_id, "template", 10, 80, parent=loop)
    _, other = await drafts.add_node(store, workflow_id, "template", 10, 160, parent=loop)
    await drafts.set_edge(store, workflow_id, {"from": inner, "to": other}, present=True)
    draft = await drafts.save_structure(
        store, workflow_id, positions={}, edges=None, deleted=[loop]
    )
    ids = [n["id"] for n in draft.workflow.document["nodes"]]
    assert loop not in ids
    assert inner not in ids
    assert other not in ids
    assert all(inner not in (e["from"], e["to"]) for e in draft.workflow.document["edges"])


async def test_validation_is_cached_by_content(store: Store) -> None:
    drafts = DraftEditor()
    workflow_id = await create(store)
    first = await drafts.draft(store, workflow_id)
    second = await drafts.draft(store, workflow_id)
    assert first.issues is second.issues
    saved = await drafts.save_structure(
        store, workflow_id, positions={}, edges=None, deleted=["end"]
    )
    assert (await drafts.draft(store, workflow_id)).issues is saved.issues
    assert any(i.code == "no_end" for i in saved.issues)

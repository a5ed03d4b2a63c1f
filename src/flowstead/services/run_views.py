"""Read-side views of runs, conversations and messages for the API.

(Kept apart from `services/runs.py`, which starts and follows runs.)
"""

from __future__ import annotations

import msgspec

from flowstead.store.errors import NotFound
from flowstead.store.protocol import Store
from flowstead.store.records import Conversation, Message, NodeExecution, Run


class RunDetail(msgspec.Struct, kw_only=True):
    run: Run
    nodes: list[NodeExecution]


async def list_runs(
    store: Store,
    *,
    workflow_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Run]:
    return await store.runs.list(workflow_id=workflow_id, status=status, limit=limit, offset=offset)


async def get_run(store: Store, run_id: str, *, workflow_id: str | None = None) -> Run:
    """The run; with `workflow_id`, only if it is a run of that workflow."""
    run = await store.runs.get(run_id)
    if run is None or (workflow_id is not None and run.workflow_id != workflow_id):
        raise NotFound("run", run_id)
    return run


async def run_detail(store: Store, run_id: str) -> RunDetail:
    run = await get_run(store, run_id)
    return RunDetail(run=run, nodes=await store.nodes.list_for_run(run_id))


async def answer_nodes(store: Store, run_id: str) -> frozenset[str]:
    """The ids of the Answer nodes of the document the run executes (chat answers)."""
    document = await store.runs.document(run_id) or {}
    nodes = document.get("nodes") or []
    return frozenset(n.get("id", "") for n in nodes if n.get("type") == "answer")


async def get_conversation(
    store: Store, conversation_id: str, *, workflow_id: str, user: str
) -> Conversation:
    """The conversation if it belongs to this workflow and user (else not found)."""
    found = await store.conversations.get(conversation_id)
    if found is None or found.workflow_id != workflow_id or found.user != user:
        raise NotFound("conversation", conversation_id)
    return found


async def conversations(
    store: Store, *, workflow_id: str, user: str, limit: int, last_id: str | None
) -> tuple[list[Conversation], bool]:
    """A page of the user's conversations, newest first, and whether more follow."""
    if last_id:
        await get_conversation(store, last_id, workflow_id=workflow_id, user=user)
    found = await store.conversations.list(
        workflow_id=workflow_id, user=user, limit=limit + 1, last_id=last_id or None
    )
    return found[:limit], len(found) > limit


async def rename_conversation(
    store: Store, conversation_id: str, name: str, *, workflow_id: str, user: str
) -> Conversation:
    await get_conversation(store, conversation_id, workflow_id=workflow_id, user=user)
    return await store.conversations.rename(conversation_id, name)


async def first_query(store: Store, conversation_id: str) -> str:
    """The conversation's first message, shortened: a name for it."""
    total = await store.messages.count(conversation_id)
    found = await store.messages.list(conversation_id, limit=max(total, 1))
    return found[0].query.strip()[:40] if found else ""


async def delete_conversation(
    store: Store, conversation_id: str, *, workflow_id: str, user: str
) -> None:
    await get_conversation(store, conversation_id, workflow_id=workflow_id, user=user)
    await store.conversations.delete(conversation_id)


async def messages(
    store: Store,
    conversation_id: str,
    *,
    workflow_id: str,
    user: str,
    limit: int,
    first_id: str | None,
) -> tuple[list[Message], bool]:
    """A page of the conversation's messages older than `first_id`, oldest first, and
    whether older ones exist. `first_id` may name a message or the run that answered it."""
    await get_conversation(store, conversation_id, workflow_id=workflow_id, user=user)
    first = await _message_id(store, conversation_id, first_id) if first_id else None
    found = await store.messages.list(conversation_id, limit=limit + 1, first_id=first)
    return found[-limit:] if limit else [], len(found) > limit


async def _message_id(store: Store, conversation_id: str, given: str) -> str:
    total = await store.messages.count(conversation_id)
    for message in await store.messages.list(conversation_id, limit=max(total, 1)):
        if given in (message.id, message.run_id):
            return message.id
    raise NotFound("message", given)

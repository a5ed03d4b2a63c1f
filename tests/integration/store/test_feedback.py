"""Feedback on chat answers, and finding a message by its id or its run, on every adapter:
SQLite, SurrealDB mem:// and surrealkv://."""

from __future__ import annotations

import pytest

from flowstead.store import NotFound, Store
from flowstead.store.records import Conversation, Message
from tests.integration.store.conftest import Opener

MISSING = "00000000-0000-7000-8000-000000000000"


async def chat_turn(
    store: Store, user: str = "alice", conversation: Conversation | None = None
) -> tuple[Conversation, Message]:
    """A published chat workflow's conversation (new unless given) with one more answered turn."""
    if conversation is None:
        workflow = await store.workflows.create(name="Bot", document={}, mode="chat")
        await store.workflows.publish(workflow.id)
        conversation = await store.conversations.create(workflow_id=workflow.id, user=user)
    run = await store.runs.create(
        workflow_id=conversation.workflow_id,
        inputs={},
        version=1,
        user=conversation.user,
        conversation_id=conversation.id,
        mode="chat",
    )
    message = await store.messages.add(
        conversation_id=conversation.id, run_id=run.id, query="hi", answer="hello"
    )
    return conversation, message


async def test_a_message_is_found_by_its_id_or_by_the_run_that_answered(store: Store) -> None:
    _conversation, message = await chat_turn(store)
    assert message.run_id is not None

    assert await store.messages.get(message.id) == message
    assert await store.messages.answered_by(message.run_id) == message
    assert await store.messages.get(MISSING) is None
    assert await store.messages.answered_by(MISSING) is None


async def test_a_rating_carries_the_messages_owners(store: Store) -> None:
    conversation, message = await chat_turn(store, user="bob")

    feedback = await store.feedbacks.rate(message.id, "like", "spot on")

    assert (feedback.message_id, feedback.conversation_id) == (message.id, conversation.id)
    assert (feedback.workflow_id, feedback.user) == (conversation.workflow_id, "bob")
    assert feedback.run_id == message.run_id
    assert (feedback.rating, feedback.content) == ("like", "spot on")
    assert feedback.created_at == feedback.updated_at > 0
    assert await store.feedbacks.get(message.id) == feedback


async def test_a_second_rating_replaces_the_first_and_keeps_its_id(store: Store) -> None:
    _conversation, message = await chat_turn(store)
    first = await store.feedbacks.rate(message.id, "like", "good")

    second = await store.feedbacks.rate(message.id, "dislike")

    assert second.id == first.id
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
    assert (second.rating, second.content) == ("dislike", None)
    assert await store.feedbacks.get(message.id) == second


async def test_rating_an_unknown_message_stores_nothing(store: Store) -> None:
    conversation, _message = await chat_turn(store)
    with pytest.raises(NotFound):
        await store.feedbacks.rate(MISSING, "like")
    assert await store.feedbacks.list(workflow_id=conversation.workflow_id) == []


async def test_revoking_forgets_the_rating(store: Store) -> None:
    _conversation, message = await chat_turn(store)
    await store.feedbacks.rate(message.id, "like")

    assert await store.feedbacks.revoke(message.id) is True

    assert await store.feedbacks.get(message.id) is None
    assert await store.feedbacks.revoke(message.id) is False
    assert await store.feedbacks.revoke(MISSING) is False


async def test_feedback_for_a_page_of_messages(store: Store) -> None:
    conversation, rated = await chat_turn(store)
    _same, unrated = await chat_turn(store, conversation=conversation)
    feedback = await store.feedbacks.rate(rated.id, "dislike")

    found = await store.feedbacks.for_messages([rated.id, unrated.id, MISSING])

    assert found == {rated.id: feedback}
    assert await store.feedbacks.for_messages([]) == {}


async def test_a_workflows_feedback_newest_first_in_pages(store: Store) -> None:
    conversation, first = await chat_turn(store)
    _same, second = await chat_turn(store, conversation=conversation)
    _other_conversation, elsewhere = await chat_turn(store)
    older = await store.feedbacks.rate(first.id, "like")
    newer = await store.feedbacks.rate(second.id, "dislike")
    await store.feedbacks.rate(elsewhere.id, "like")

    listed = await store.feedbacks.list(workflow_id=conversation.workflow_id)

    assert listed == [newer, older]
    assert await store.feedbacks.list(workflow_id=conversation.workflow_id, limit=1) == [newer]
    assert await store.feedbacks.list(workflow_id=conversation.workflow_id, limit=1, offset=1) == [
        older
    ]
    assert await store.feedbacks.list(workflow_id=MISSING) == []


async def test_feedback_goes_with_its_conversation_and_its_workflow(store: Store) -> None:
    conversation, message = await chat_turn(store)
    _same, other_message = await chat_turn(store)
    await store.feedbacks.rate(message.id, "like")
    kept = await store.feedbacks.rate(other_message.id, "like")

    await store.conversations.delete(conversation.id)

    assert await store.feedbacks.get(message.id) is None
    assert await store.feedbacks.get(other_message.id) == kept
    await store.workflows.delete(kept.workflow_id)
    assert await store.feedbacks.get(other_message.id) is None
    assert await store.feedbacks.list(workflow_id=kept.workflow_id) == []


async def test_feedback_survives_reopening(reopen: Opener) -> None:
    async with await reopen() as store:
        _conversation, message = await chat_turn(store)
        rated = await store.feedbacks.rate(message.id, "dislike", "too long")
    async with await reopen() as store:
        assert await store.feedbacks.get(message.id) == rated
        assert await store.messages.answered_by(rated.run_id or "") == message

"""Ratings of chat answers through the app API (Dify's message feedback), and suggested
questions, which Flowstead does not make.

A message is known to API clients by the id of the run that answered it (as `/v1/messages`
and chat answers show it); its own id works too. It is found only in a conversation of the
caller's workflow and user, so nobody rates, or learns of, another user's messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from flowstead.store.errors import NotFound
from flowstead.store.protocol import Store
from flowstead.store.records import Feedback, Message

Rating = Literal["like", "dislike"]
# Dify's own words for the refusal; its clients may show them.
SUGGESTIONS_DISABLED: Final = "Suggested Questions Is Disabled."


class NothingToRevoke(Exception):
    """A rating of null was sent for a message that has no feedback (Dify refuses it)."""


class SuggestionsDisabled(Exception):
    """Suggested questions after an answer are off: Flowstead has no generator for them."""


async def find_message(store: Store, message_id: str, *, workflow_id: str, user: str) -> Message:
    """The message (named by its run or its own id) in one of the user's conversations of
    this workflow; else `NotFound`."""
    message = await store.messages.answered_by(message_id) or await store.messages.get(message_id)
    if message is not None:
        conversation = await store.conversations.get(message.conversation_id)
        if conversation is not None and (conversation.workflow_id, conversation.user) == (
            workflow_id,
            user,
        ):
            return message
    raise NotFound("message", message_id)


async def rate(
    store: Store,
    message_id: str,
    rating: Rating | None,
    content: str | None,
    *,
    workflow_id: str,
    user: str,
) -> Feedback | None:
    """Rate the message, replacing an earlier rating; a rating of None revokes it
    (`NothingToRevoke` if there is none). Returns the feedback kept, if any."""
    message = await find_message(store, message_id, workflow_id=workflow_id, user=user)
    if rating is not None:
        return await store.feedbacks.rate(message.id, rating, content)
    if not await store.feedbacks.revoke(message.id):
        raise NothingToRevoke(f"message {message_id} has no feedback to revoke")
    return None


async def for_messages(store: Store, messages: Sequence[Message]) -> dict[str, Feedback]:
    """message id → its feedback, for the messages of a page that have one."""
    return await store.feedbacks.for_messages([message.id for message in messages])


async def app_feedbacks(store: Store, workflow_id: str, *, page: int, limit: int) -> list[Feedback]:
    """A page (from 1) of the feedback on the workflow's chats, newest first."""
    return await store.feedbacks.list(
        workflow_id=workflow_id, limit=limit, offset=(page - 1) * limit
    )


async def suggested_questions(
    store: Store, message_id: str, *, workflow_id: str, user: str
) -> list[str]:
    """What Dify answers with the feature off: the message must exist for this user
    (`NotFound`), then `SuggestionsDisabled`."""
    await find_message(store, message_id, workflow_id=workflow_id, user=user)
    raise SuggestionsDisabled(SUGGESTIONS_DISABLED)

"""Ratings of chat answers in SurrealDB, one per message (a unique index on message_id).

Deleting a conversation or a workflow deletes its feedback (`chat.py`, `workflows.py`)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import to_record
from flowstead.store.errors import NotFound
from flowstead.store.records import Conversation, Feedback, Message
from flowstead.store.surreal.database import SurrealDatabase, plain, rid

# The message's record is read again inside the transaction: one deleted meanwhile is not
# rated. A second rating keeps the first's id and creation time.
_RATE = """
IF !record::exists($message) { THROW 'not_found:message:' + $new.message_id };
LET $existing = (SELECT VALUE id FROM feedback WHERE message_id = $new.message_id)[0];
RETURN IF $existing {
    (UPDATE ONLY $existing SET rating = $new.rating, content = $new.content,
        updated_at = $new.updated_at RETURN AFTER)
} ELSE {
    (CREATE ONLY $id CONTENT $new RETURN AFTER)
};
"""


def _feedback(row: dict[str, Any]) -> Feedback:
    return to_record(Feedback, plain(row))


class SurrealFeedbacks:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def rate(self, message_id: str, rating: str, content: str | None = None) -> Feedback:
        messages = await self._db.select("SELECT * FROM $id", {"id": rid("message", message_id)})
        if not messages:
            raise NotFound("message", message_id)
        message = to_record(Message, plain(messages[0]), ("inputs",))
        owners = await self._db.select(
            "SELECT * FROM $id", {"id": rid("conversation", message.conversation_id)}
        )
        if not owners:
            raise NotFound("message", message_id)
        conversation = to_record(Conversation, plain(owners[0]), ("inputs", "variables"))
        new = fresh.feedback(message, conversation, rating, content)
        row = await self._db.transaction(
            _RATE,
            {
                "message": rid("message", message_id),
                "id": rid("feedback", new.id),
                "new": {name: getattr(new, name) for name in new.__struct_fields__ if name != "id"},
            },
        )
        return _feedback(row)

    async def get(self, message_id: str) -> Feedback | None:
        rows = await self._db.select(
            "SELECT * FROM feedback WHERE message_id = $message", {"message": message_id}
        )
        return _feedback(rows[0]) if rows else None

    async def for_messages(self, message_ids: Sequence[str]) -> dict[str, Feedback]:
        if not message_ids:
            return {}
        rows = await self._db.select(
            "SELECT * FROM feedback WHERE message_id IN $messages",
            {"messages": list(message_ids)},
        )
        found = [_feedback(row) for row in rows]
        return {feedback.message_id: feedback for feedback in found}

    async def list(
        self, *, workflow_id: str, limit: int = 20, offset: int = 0
    ) -> builtins.list[Feedback]:
        rows = await self._db.select(
            "SELECT * FROM feedback WHERE workflow_id = $workflow"
            " ORDER BY created_at DESC, id DESC LIMIT $limit START $offset",
            {"workflow": workflow_id, "limit": limit, "offset": offset},
        )
        return [_feedback(row) for row in rows]

    async def revoke(self, message_id: str) -> bool:
        rows = await self._db.write_rows(
            "DELETE feedback WHERE message_id = $message RETURN BEFORE", {"message": message_id}
        )
        return bool(rows)

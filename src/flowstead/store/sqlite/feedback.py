"""Ratings of chat answers in SQLite (they go with their message: ON DELETE CASCADE)."""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Sequence

from flowstead.store import fresh
from flowstead.store.codec import to_record
from flowstead.store.errors import NotFound
from flowstead.store.records import Conversation, Feedback, Message
from flowstead.store.sqlite.chat import MESSAGE_JSON
from flowstead.store.sqlite.database import Database

_COLUMNS = (
    "id, message_id, conversation_id, workflow_id, run_id, user, rating, content,"
    " created_at, updated_at"
)
# A message has one feedback: a second rating replaces the first's rating and content.
_UPSERT = (
    f"INSERT INTO feedbacks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating,"
    f" content = excluded.content, updated_at = excluded.updated_at RETURNING {_COLUMNS}"
)


def _feedback(row: sqlite3.Row) -> Feedback:
    return to_record(Feedback, row)


class SqliteFeedbacks:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def rate(self, message_id: str, rating: str, content: str | None = None) -> Feedback:
        def rate(conn: sqlite3.Connection) -> Feedback:
            found = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchall()
            if not found:
                raise NotFound("message", message_id)
            message = to_record(Message, found[0], MESSAGE_JSON)
            owner = conn.execute(
                "SELECT * FROM conversations WHERE id = ?", (message.conversation_id,)
            ).fetchall()
            conversation = to_record(Conversation, owner[0], ("inputs", "variables"))
            new = fresh.feedback(message, conversation, rating, content)
            rows = conn.execute(
                _UPSERT,
                (
                    new.id,
                    new.message_id,
                    new.conversation_id,
                    new.workflow_id,
                    new.run_id,
                    new.user,
                    new.rating,
                    new.content,
                    new.created_at,
                    new.updated_at,
                ),
            ).fetchall()
            return _feedback(rows[0])

        return await self._db.run(rate)

    async def get(self, message_id: str) -> Feedback | None:
        row = await self._db.select_one(
            f"SELECT {_COLUMNS} FROM feedbacks WHERE message_id = ?", (message_id,)
        )
        return None if row is None else _feedback(row)

    async def for_messages(self, message_ids: Sequence[str]) -> dict[str, Feedback]:
        if not message_ids:
            return {}
        marks = ", ".join("?" * len(message_ids))
        rows = await self._db.select(
            f"SELECT {_COLUMNS} FROM feedbacks WHERE message_id IN ({marks})", list(message_ids)
        )
        return {row["message_id"]: _feedback(row) for row in rows}

    async def list(
        self, *, workflow_id: str, limit: int = 20, offset: int = 0
    ) -> builtins.list[Feedback]:
        rows = await self._db.select(
            f"SELECT {_COLUMNS} FROM feedbacks WHERE workflow_id = ?"
            " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (workflow_id, limit, offset),
        )
        return [_feedback(row) for row in rows]

    async def revoke(self, message_id: str) -> bool:
        rows = await self._db.write(
            "DELETE FROM feedbacks WHERE message_id = ? RETURNING id", (message_id,)
        )
        return bool(rows)

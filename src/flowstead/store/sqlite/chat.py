"""Chat-mode conversations and their messages in SQLite."""

from __future__ import annotations

import builtins
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import dumps, to_record
from flowstead.store.errors import NotFound
from flowstead.store.records import Conversation, Message
from flowstead.store.sqlite.database import Database

_CONVERSATION_JSON = ("inputs", "variables")
MESSAGE_JSON = ("inputs", "files")


def _conversation(row: sqlite3.Row) -> Conversation:
    return to_record(Conversation, row, _CONVERSATION_JSON)


def _message(row: sqlite3.Row) -> Message:
    return to_record(Message, row, MESSAGE_JSON)


class SqliteConversations:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        workflow_id: str,
        user: str,
        name: str = "",
        inputs: dict[str, Any] | None = None,
        variables: dict[str, Any] | None = None,
    ) -> Conversation:
        conversation = fresh.conversation(
            workflow_id=workflow_id, user=user, name=name, inputs=inputs, variables=variables
        )
        try:
            await self._db.write(
                "INSERT INTO conversations (id, workflow_id, user, name, inputs, variables,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation.id,
                    workflow_id,
                    user,
                    name,
                    dumps(conversation.inputs),
                    dumps(conversation.variables),
                    conversation.created_at,
                    conversation.updated_at,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise NotFound("workflow", workflow_id) from exc
        return conversation

    async def get(self, conversation_id: str) -> Conversation | None:
        row = await self._db.select_one(
            "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        )
        return None if row is None else _conversation(row)

    async def list(
        self, *, workflow_id: str, user: str, limit: int = 20, last_id: str | None = None
    ) -> builtins.list[Conversation]:
        after, params = "", []
        if last_id is not None:
            last = await self.get(last_id)
            if last is None:
                raise NotFound("conversation", last_id)
            after = " AND (updated_at < ? OR (updated_at = ? AND id > ?))"
            params = [last.updated_at, last.updated_at, last.id]
        rows = await self._db.select(
            "SELECT * FROM conversations WHERE workflow_id = ? AND user = ?"
            f"{after} ORDER BY updated_at DESC, id LIMIT ?",
            [workflow_id, user, *params, limit],
        )
        return [_conversation(row) for row in rows]

    async def set_variables(self, conversation_id: str, variables: dict[str, Any]) -> Conversation:
        return await self._update(conversation_id, "variables = ?", dumps(variables))

    async def rename(self, conversation_id: str, name: str) -> Conversation:
        return await self._update(conversation_id, "name = ?", name)

    async def _update(self, conversation_id: str, assignment: str, value: Any) -> Conversation:
        rows = await self._db.write(
            f"UPDATE conversations SET {assignment}, updated_at = ? WHERE id = ? RETURNING *",
            (value, time.time(), conversation_id),
        )
        if not rows:
            raise NotFound("conversation", conversation_id)
        return _conversation(rows[0])

    async def delete(self, conversation_id: str) -> bool:
        rows = await self._db.write(
            "DELETE FROM conversations WHERE id = ? RETURNING id", (conversation_id,)
        )
        return bool(rows)


class SqliteMessages:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        *,
        conversation_id: str,
        run_id: str | None,
        query: str,
        answer: str,
        inputs: dict[str, Any] | None = None,
        files: Sequence[dict[str, Any]] = (),
        tokens: int = 0,
    ) -> Message:
        message = fresh.message(
            conversation_id=conversation_id,
            run_id=run_id,
            query=query,
            answer=answer,
            inputs=inputs,
            files=files,
            tokens=tokens,
        )

        def add(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                (message.created_at, conversation_id),
            )
            if cursor.rowcount == 0:
                raise NotFound("conversation", conversation_id)
            conn.execute(
                "INSERT INTO messages (id, conversation_id, run_id, query, answer, inputs,"
                " files, tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message.id,
                    conversation_id,
                    run_id,
                    query,
                    answer,
                    dumps(message.inputs),
                    dumps(message.files),
                    tokens,
                    message.created_at,
                ),
            )

        await self._db.run(add)
        return message

    async def list(
        self, conversation_id: str, *, limit: int = 20, first_id: str | None = None
    ) -> builtins.list[Message]:
        before, params = "", []
        if first_id is not None:
            first = await self._db.select_one(
                "SELECT created_at, id FROM messages WHERE id = ? AND conversation_id = ?",
                (first_id, conversation_id),
            )
            if first is None:
                raise NotFound("message", first_id)
            before = " AND (created_at < ? OR (created_at = ? AND id < ?))"
            params = [first[0], first[0], first[1]]
        rows = await self._db.select(
            f"SELECT * FROM messages WHERE conversation_id = ?{before}"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            [conversation_id, *params, limit],
        )
        return [_message(row) for row in reversed(rows)]

    async def count(self, conversation_id: str) -> int:
        row = await self._db.select_one(
            "SELECT count(*) FROM messages WHERE conversation_id = ?", (conversation_id,)
        )
        return 0 if row is None else int(row[0])

    async def get(self, message_id: str) -> Message | None:
        row = await self._db.select_one("SELECT * FROM messages WHERE id = ?", (message_id,))
        return None if row is None else _message(row)

    async def answered_by(self, run_id: str) -> Message | None:
        row = await self._db.select_one(
            "SELECT * FROM messages WHERE run_id = ? ORDER BY created_at LIMIT 1", (run_id,)
        )
        return None if row is None else _message(row)

    async def has_upload(self, workflow_id: str, upload_id: str) -> bool:
        row = await self._db.select_one(
            "SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE c.workflow_id = ? AND m.files != '[]' AND EXISTS (SELECT 1 FROM"
            " json_each(m.files) WHERE json_extract(json_each.value, '$.id') = ?) LIMIT 1",
            (workflow_id, upload_id),
        )
        return row is not None

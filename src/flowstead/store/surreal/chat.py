"""Chat-mode conversations and their messages in SurrealDB."""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import dumps, to_record
from flowstead.store.errors import NotFound
from flowstead.store.records import Conversation, Message
from flowstead.store.surreal.database import SurrealDatabase, plain, rid

_CREATE_CONVERSATION = """
IF !record::exists(type::thing('workflow', $content.workflow_id)) {
    THROW 'not_found:workflow:' + $content.workflow_id;
};
CREATE $id CONTENT $content RETURN NONE;
RETURN NONE;
"""

_DELETE_CONVERSATION = """
DELETE feedback WHERE conversation_id = $key;
DELETE message WHERE conversation_id = $key;
UPDATE run SET conversation_id = NONE WHERE conversation_id = $key;
LET $gone = (DELETE $id RETURN BEFORE);
RETURN array::len($gone) > 0;
"""

_ADD_MESSAGE = """
IF !(UPDATE $conversation SET updated_at = $content.created_at RETURN VALUE id) {
    THROW 'not_found:conversation:' + $content.conversation_id;
};
CREATE $id CONTENT $content RETURN NONE;
RETURN NONE;
"""


_HAS_UPLOAD = """
LET $conversations = (SELECT VALUE record::id(id) FROM conversation WHERE workflow_id = $workflow);
RETURN count(SELECT id FROM message
    WHERE conversation_id IN $conversations AND $upload IN files.id LIMIT 1) > 0;
"""


def _conversation(row: dict[str, Any]) -> Conversation:
    return to_record(Conversation, plain(row), ("inputs", "variables"))


def _message(row: dict[str, Any]) -> Message:
    return to_record(Message, plain(row), ("inputs",))


class SurrealConversations:
    def __init__(self, db: SurrealDatabase) -> None:
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
        await self._db.transaction(
            _CREATE_CONVERSATION,
            {
                "id": rid("conversation", conversation.id),
                "content": {
                    "workflow_id": workflow_id,
                    "user": user,
                    "name": name,
                    "inputs": dumps(conversation.inputs),
                    "variables": dumps(conversation.variables),
                    "created_at": conversation.created_at,
                    "updated_at": conversation.updated_at,
                },
            },
        )
        return conversation

    async def get(self, conversation_id: str) -> Conversation | None:
        rows = await self._db.select(
            "SELECT * FROM $id", {"id": rid("conversation", conversation_id)}
        )
        return _conversation(rows[0]) if rows else None

    async def list(
        self, *, workflow_id: str, user: str, limit: int = 20, last_id: str | None = None
    ) -> builtins.list[Conversation]:
        after, params = "", {}
        if last_id is not None:
            last = await self.get(last_id)
            if last is None:
                raise NotFound("conversation", last_id)
            after = " AND (updated_at < $at OR (updated_at = $at AND id > $last))"
            params = {"at": last.updated_at, "last": rid("conversation", last.id)}
        rows = await self._db.select(
            "SELECT * FROM conversation WHERE workflow_id = $workflow_id AND user = $user"
            f"{after} ORDER BY updated_at DESC, id LIMIT $limit",
            {"workflow_id": workflow_id, "user": user, "limit": limit, **params},
        )
        return [_conversation(row) for row in rows]

    async def set_variables(self, conversation_id: str, variables: dict[str, Any]) -> Conversation:
        return await self._update(conversation_id, "variables", dumps(variables))

    async def rename(self, conversation_id: str, name: str) -> Conversation:
        return await self._update(conversation_id, "name", name)

    async def _update(self, conversation_id: str, field: str, value: Any) -> Conversation:
        rows = await self._db.write_rows(
            f"UPDATE $id SET {field} = $value, updated_at = $now RETURN AFTER",
            {"id": rid("conversation", conversation_id), "value": value, "now": time.time()},
        )
        if not rows:
            raise NotFound("conversation", conversation_id)
        return _conversation(rows[0])

    async def delete(self, conversation_id: str) -> bool:
        return bool(
            await self._db.transaction(
                _DELETE_CONVERSATION,
                {"id": rid("conversation", conversation_id), "key": conversation_id},
            )
        )


class SurrealMessages:
    def __init__(self, db: SurrealDatabase) -> None:
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
        await self._db.transaction(
            _ADD_MESSAGE,
            {
                "id": rid("message", message.id),
                "conversation": rid("conversation", conversation_id),
                "content": {
                    "conversation_id": conversation_id,
                    "run_id": run_id,
                    "query": query,
                    "answer": answer,
                    "inputs": dumps(message.inputs),
                    "files": message.files,
                    "tokens": tokens,
                    "created_at": message.created_at,
                },
            },
        )
        return message

    async def list(
        self, conversation_id: str, *, limit: int = 20, first_id: str | None = None
    ) -> builtins.list[Message]:
        before, params = "", {}
        if first_id is not None:
            rows = await self._db.select(
                "SELECT created_at FROM $id WHERE conversation_id = $conversation",
                {"id": rid("message", first_id), "conversation": conversation_id},
            )
            if not rows:
                raise NotFound("message", first_id)
            before = " AND (created_at < $at OR (created_at = $at AND id < $first))"
            params = {"at": rows[0]["created_at"], "first": rid("message", first_id)}
        rows = await self._db.select(
            f"SELECT * FROM message WHERE conversation_id = $conversation{before}"
            " ORDER BY created_at DESC, id DESC LIMIT $limit",
            {"conversation": conversation_id, "limit": limit, **params},
        )
        return [_message(row) for row in reversed(rows)]

    async def count(self, conversation_id: str) -> int:
        results = await self._db.query(
            "RETURN count(SELECT id FROM message WHERE conversation_id = $conversation)",
            {"conversation": conversation_id},
        )
        return int(results[0])

    async def get(self, message_id: str) -> Message | None:
        rows = await self._db.select("SELECT * FROM $id", {"id": rid("message", message_id)})
        return _message(rows[0]) if rows else None

    async def answered_by(self, run_id: str) -> Message | None:
        rows = await self._db.select(
            "SELECT * FROM message WHERE run_id = $run ORDER BY created_at LIMIT 1", {"run": run_id}
        )
        return _message(rows[0]) if rows else None

    async def has_upload(self, workflow_id: str, upload_id: str) -> bool:
        results = await self._db.query(_HAS_UPLOAD, {"workflow": workflow_id, "upload": upload_id})
        return bool(results[-1])

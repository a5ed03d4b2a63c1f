"""Workflows and their published versions in SurrealDB."""

from __future__ import annotations

import builtins
import time
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import dumps, dumps_or_none, to_record
from flowstead.store.errors import NotFound
from flowstead.store.ids import new_id
from flowstead.store.records import Workflow, WorkflowVersion
from flowstead.store.surreal.database import SurrealDatabase, plain, rid

_JSON = ("document", "trigger")

# Runs, conversations (with their messages and feedback) and keys point at a workflow by
# its plain id, so deleting one deletes what hangs off it explicitly.
_DELETE = """
LET $runs = (SELECT VALUE record::id(id) FROM run WHERE workflow_id = $key);
FOR $run IN $runs {
    DELETE run_event:[$run, 0]..=[$run, $max_seq];
    DELETE node_execution WHERE run_id = $run;
    DELETE job WHERE run_id = $run;
    DELETE type::thing('run_draft', $run);
};
DELETE run WHERE workflow_id = $key;
LET $conversations = (SELECT VALUE record::id(id) FROM conversation WHERE workflow_id = $key);
FOR $conversation IN $conversations {
    DELETE message WHERE conversation_id = $conversation;
};
DELETE feedback WHERE workflow_id = $key;
DELETE conversation WHERE workflow_id = $key;
DELETE api_key WHERE workflow_id = $key;
DELETE workflow_version WHERE workflow_id = $key;
LET $gone = (DELETE $id RETURN BEFORE);
RETURN array::len($gone) > 0;
"""

_PUBLISH = """
LET $draft = (SELECT * FROM ONLY $id);
IF !$draft { THROW 'not_found:workflow:' + $key };
LET $number = ($draft.published_version ?? 0) + 1;
UPDATE $id SET published_version = $number;
RETURN (CREATE ONLY $version CONTENT {
    workflow_id: $key,
    number: $number,
    name: $draft.name,
    description: $draft.description,
    document: $draft.document,
    mode: $draft.mode,
    trigger: $draft.trigger,
    created_at: $now,
} RETURN AFTER);
"""


def _workflow(row: dict[str, Any]) -> Workflow:
    return to_record(Workflow, plain(row), _JSON)


def _version(row: dict[str, Any]) -> WorkflowVersion:
    return to_record(WorkflowVersion, plain(row), _JSON)


class SurrealWorkflows:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def create(
        self,
        *,
        name: str,
        document: dict[str, Any],
        description: str = "",
        mode: str = "workflow",
        trigger: dict[str, Any] | None = None,
    ) -> Workflow:
        workflow = fresh.workflow(
            name=name, document=document, description=description, mode=mode, trigger=trigger
        )
        await self._db.write(
            "CREATE $id CONTENT $data RETURN NONE",
            {
                "id": rid("workflow", workflow.id),
                "data": {
                    "name": name,
                    "description": description,
                    "document": dumps(document),
                    "mode": mode,
                    "trigger": dumps_or_none(trigger),
                    "created_at": workflow.created_at,
                    "updated_at": workflow.updated_at,
                },
            },
        )
        return workflow

    async def get(self, workflow_id: str) -> Workflow | None:
        rows = await self._db.select("SELECT * FROM $id", {"id": rid("workflow", workflow_id)})
        return _workflow(rows[0]) if rows else None

    async def list(
        self, *, search: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[Workflow]:
        where = ""
        if search:
            where = (
                "WHERE string::lowercase(name) CONTAINS $search"
                " OR string::lowercase(description) CONTAINS $search"
            )
        rows = await self._db.select(
            f"SELECT * FROM workflow {where}"
            " ORDER BY updated_at DESC, id LIMIT $limit START $offset",
            {"search": (search or "").lower(), "limit": limit, "offset": offset},
        )
        return [_workflow(row) for row in rows]

    async def update_draft(
        self,
        workflow_id: str,
        document: dict[str, Any],
        *,
        name: str | None = None,
        description: str | None = None,
        mode: str | None = None,
        trigger: dict[str, Any] | None = None,
    ) -> Workflow:
        rows = await self._db.write_rows(
            "UPDATE $id SET document = $document, name = $name ?? name,"
            " description = $description ?? description, mode = $mode ?? mode,"
            " trigger = $trigger ?? trigger, updated_at = $now RETURN AFTER",
            {
                "id": rid("workflow", workflow_id),
                "document": dumps(document),
                "name": name,
                "description": description,
                "mode": mode,
                "trigger": dumps_or_none(trigger),
                "now": time.time(),
            },
        )
        if not rows:
            raise NotFound("workflow", workflow_id)
        return _workflow(rows[0])

    async def delete(self, workflow_id: str) -> bool:
        return bool(
            await self._db.transaction(
                _DELETE,
                {"id": rid("workflow", workflow_id), "key": workflow_id, "max_seq": 2**63 - 1},
            )
        )

    async def publish(self, workflow_id: str) -> WorkflowVersion:
        row = await self._db.transaction(
            _PUBLISH,
            {
                "id": rid("workflow", workflow_id),
                "key": workflow_id,
                "version": rid("workflow_version", new_id()),
                "now": time.time(),
            },
        )
        return _version(row)

    async def list_versions(self, workflow_id: str) -> builtins.list[WorkflowVersion]:
        rows = await self._db.select(
            "SELECT * FROM workflow_version WHERE workflow_id = $key ORDER BY number DESC",
            {"key": workflow_id},
        )
        return [_version(row) for row in rows]

    async def get_version(self, workflow_id: str, number: int) -> WorkflowVersion | None:
        rows = await self._db.select(
            "SELECT * FROM workflow_version WHERE workflow_id = $key AND number = $number",
            {"key": workflow_id, "number": number},
        )
        return _version(rows[0]) if rows else None

    async def latest_version(self, workflow_id: str) -> WorkflowVersion | None:
        rows = await self._db.select(
            "SELECT * FROM workflow_version WHERE workflow_id = $key ORDER BY number DESC LIMIT 1",
            {"key": workflow_id},
        )
        return _version(rows[0]) if rows else None

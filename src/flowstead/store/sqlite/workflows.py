"""Workflows and their published versions in SQLite."""

from __future__ import annotations

import builtins
import sqlite3
import time
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import dumps, dumps_or_none, to_record
from flowstead.store.errors import NotFound
from flowstead.store.ids import new_id
from flowstead.store.records import Workflow, WorkflowVersion
from flowstead.store.sqlite.database import Database

_JSON = ("document", "trigger")


def _workflow(row: sqlite3.Row) -> Workflow:
    return to_record(Workflow, row, _JSON)


def _version(row: sqlite3.Row) -> WorkflowVersion:
    return to_record(WorkflowVersion, row, _JSON)


class SqliteWorkflows:
    def __init__(self, db: Database) -> None:
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
            "INSERT INTO workflows (id, name, description, document, mode, trigger,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                workflow.id,
                name,
                description,
                dumps(document),
                mode,
                dumps_or_none(trigger),
                workflow.created_at,
                workflow.updated_at,
            ),
        )
        return workflow

    async def get(self, workflow_id: str) -> Workflow | None:
        row = await self._db.select_one("SELECT * FROM workflows WHERE id = ?", (workflow_id,))
        return None if row is None else _workflow(row)

    async def list(
        self, *, search: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[Workflow]:
        where, params = "", []
        if search:
            where = "WHERE instr(lower(name), lower(?)) OR instr(lower(description), lower(?))"
            params = [search, search]
        rows = await self._db.select(
            f"SELECT * FROM workflows {where} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
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
        rows = await self._db.write(
            "UPDATE workflows SET document = ?, name = coalesce(?, name),"
            " description = coalesce(?, description), mode = coalesce(?, mode),"
            " trigger = coalesce(?, trigger), updated_at = ? WHERE id = ? RETURNING *",
            (
                dumps(document),
                name,
                description,
                mode,
                dumps_or_none(trigger),
                time.time(),
                workflow_id,
            ),
        )
        if not rows:
            raise NotFound("workflow", workflow_id)
        return _workflow(next(iter(rows)))

    async def delete(self, workflow_id: str) -> bool:
        # Foreign keys cascade to versions, runs (events, nodes, jobs), keys and chats.
        rows = await self._db.write(
            "DELETE FROM workflows WHERE id = ? RETURNING id", (workflow_id,)
        )
        return bool(rows)

    async def publish(self, workflow_id: str) -> WorkflowVersion:
        now = time.time()
        version_id = new_id()

        def publish(conn: sqlite3.Connection) -> WorkflowVersion:
            rows = conn.execute(
                "INSERT INTO workflow_versions (id, workflow_id, number, name, description,"
                " document, mode, trigger, created_at)"
                " SELECT ?, id, coalesce(published_version, 0) + 1, name, description,"
                " document, mode, trigger, ? FROM workflows WHERE id = ? RETURNING *",
                (version_id, now, workflow_id),
            ).fetchall()
            if not rows:
                raise NotFound("workflow", workflow_id)
            version = _version(rows[0])
            conn.execute(
                "UPDATE workflows SET published_version = ? WHERE id = ?",
                (version.number, workflow_id),
            )
            return version

        return await self._db.run(publish)

    async def list_versions(self, workflow_id: str) -> builtins.list[WorkflowVersion]:
        rows = await self._db.select(
            "SELECT * FROM workflow_versions WHERE workflow_id = ? ORDER BY number DESC",
            (workflow_id,),
        )
        return [_version(row) for row in rows]

    async def get_version(self, workflow_id: str, number: int) -> WorkflowVersion | None:
        row = await self._db.select_one(
            "SELECT * FROM workflow_versions WHERE workflow_id = ? AND number = ?",
            (workflow_id, number),
        )
        return None if row is None else _version(row)

    async def latest_version(self, workflow_id: str) -> WorkflowVersion | None:
        row = await self._db.select_one(
            "SELECT * FROM workflow_versions WHERE workflow_id = ? ORDER BY number DESC LIMIT 1",
            (workflow_id,),
        )
        return None if row is None else _version(row)

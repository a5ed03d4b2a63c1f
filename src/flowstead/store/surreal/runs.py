"""Runs and their per-node executions in SurrealDB."""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

from flowstead.store import fresh
from flowstead.store.codec import dumps, dumps_or_none, loads, to_record
from flowstead.store.errors import NotFound
from flowstead.store.ids import new_id
from flowstead.store.protocol import FINISHED_RUN_STATUSES, NewEvent, NodeUpdate, RunQuery
from flowstead.store.records import Job, NodeExecution, Run
from flowstead.store.surreal.database import SurrealDatabase, plain, rid
from flowstead.store.surreal.events import append_statements, log_params
from flowstead.store.surreal.jobs import job_content

_RUN_JSON = ("inputs", "outputs")
_NODE_JSON = ("inputs", "outputs")

_CREATE = """
LET $workflow = (SELECT document FROM ONLY type::thing('workflow', $run.workflow_id));
IF !$workflow { THROW 'not_found:workflow:' + $run.workflow_id };
IF $run.version != NONE AND !(SELECT VALUE id FROM workflow_version
        WHERE workflow_id = $run.workflow_id AND number = $run.version) {
    THROW 'not_found:workflow_version:' + $run.workflow_id + ' v' + <string> $run.version;
};
IF $run.conversation_id AND (SELECT VALUE workflow_id
        FROM ONLY type::thing('conversation', $run.conversation_id)) != $run.workflow_id {
    THROW 'not_found:conversation:' + $run.conversation_id;
};
FOR $other IN [$run.parent_run_id, $run.resumed_from] {
    IF $other AND !record::exists(type::thing('run', $other)) {
        THROW 'not_found:run:' + $other;
    };
};
CREATE $id CONTENT $run RETURN NONE;
IF $run.version = NONE {
    CREATE type::thing('run_draft', $key) SET document = $workflow.document RETURN NONE;
};
CREATE $job_id CONTENT $job RETURN NONE;
RETURN NONE;
"""

_DOCUMENT = """
LET $run = (SELECT workflow_id, version FROM ONLY $id);
LET $draft = (SELECT VALUE document FROM ONLY type::thing('run_draft', $key));
RETURN IF !$run { NONE } ELSE IF $draft { $draft } ELSE {
    (SELECT VALUE document FROM workflow_version
        WHERE workflow_id = $run.workflow_id AND number = $run.version)[0]
};
"""

_FINISH = """
LET $finished = (UPDATE $run SET status = $status, outputs = $outputs, error = $error,
    total_tokens = $total_tokens, total_steps = $total_steps, finished_at = $now,
    elapsed = $now - (started_at ?? created_at) RETURN AFTER)[0];
IF !$finished { THROW 'not_found:run:' + $key };
"""

_DONE = """
UPDATE $job SET status = 'done', lease_until = NONE, finished_at = $now, updated_at = $now
    WHERE worker_id = $worker AND status = 'running' RETURN NONE;
"""

_RECORD_NODE = """
LET $existing = (SELECT VALUE id FROM node_execution
    WHERE run_id = $node.run_id AND node_id = $node.node_id AND index = $node.index)[0];
IF !$existing AND !record::exists(type::thing('run', $node.run_id)) {
    THROW 'not_found:run:' + $node.run_id;
};
RETURN IF $existing {
    (UPDATE ONLY $existing SET node_type = $node.node_type, title = $node.title,
        status = $node.status, inputs = $node.inputs, outputs = $node.outputs,
        error = $node.error, started_at = $node.started_at, finished_at = $node.finished_at,
        tokens = $node.tokens, attempt = $node.attempt RETURN AFTER)
} ELSE {
    (CREATE ONLY $new_id CONTENT $node RETURN AFTER)
};
"""


# Runs finished before the cutoff with no job still waiting or running, and what hangs
# off them (as `SurrealWorkflows.delete` deletes a workflow's runs).
_DELETE_FINISHED = """
LET $runs = (SELECT VALUE record::id(id) FROM run
    WHERE finished_at < $before AND status IN $statuses
    AND !(SELECT VALUE id FROM job
        WHERE run_id = record::id($parent.id) AND status IN ['queued', 'running'])
    LIMIT $limit);
FOR $run IN $runs {
    DELETE run_event:[$run, 0]..=[$run, $max_seq];
    DELETE node_execution WHERE run_id = $run;
    DELETE job WHERE run_id = $run;
    DELETE type::thing('run_draft', $run);
    DELETE type::thing('run', $run);
};
RETURN array::len($runs);
"""


def _run(row: dict[str, Any]) -> Run:
    return to_record(Run, plain(row), _RUN_JSON)


def _where(query: RunQuery) -> tuple[str, dict[str, Any]]:
    """The WHERE clause of `query` and its parameters."""
    clauses, params = ["true"], {}
    fields = (
        ("workflow_id", "workflow_id = $workflow_id"),
        ("statuses", "status IN $statuses"),
        ("mode", "mode = $mode"),
        ("user", "user = $user"),
        ("created_after", "created_at >= $created_after"),
        ("created_before", "created_at <= $created_before"),
    )
    for name, clause in fields:
        value = getattr(query, name)
        if value is not None:
            clauses.append(clause)
            params[name] = list(value) if name == "statuses" else value
    if query.published is not None:
        clauses.append("version != NONE" if query.published else "version = NONE")
    if query.keyword is not None:
        # Lower-cased on both sides; the stored inputs and outputs are JSON text.
        clauses.append(
            "(string::contains(string::lowercase(inputs), $needle)"
            " OR string::contains(string::lowercase(outputs ?? ''), $needle)"
            " OR string::contains(string::lowercase(user ?? ''), $needle)"
            " OR record::id(id) = $keyword)"
        )
        params |= {"needle": query.keyword.lower(), "keyword": query.keyword}
    return " AND ".join(clauses), params


class SurrealRuns:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def create(
        self,
        *,
        workflow_id: str,
        inputs: dict[str, Any],
        version: int | None = None,
        user: str = "",
        conversation_id: str | None = None,
        source: str = "api",
        mode: str = "workflow",
        parent_run_id: str | None = None,
        resumed_from: str | None = None,
        max_attempts: int = 3,
    ) -> Run:
        run, job = fresh.run_and_job(
            workflow_id=workflow_id,
            inputs=inputs,
            version=version,
            user=user,
            conversation_id=conversation_id,
            source=source,
            mode=mode,
            parent_run_id=parent_run_id,
            resumed_from=resumed_from,
            max_attempts=max_attempts,
        )
        content = {name: getattr(run, name) for name in run.__struct_fields__ if name != "id"}
        await self._db.transaction(
            _CREATE,
            {
                "id": rid("run", run.id),
                "key": run.id,
                "run": {**content, "inputs": dumps(inputs)},
                "job_id": rid("job", job.id),
                "job": job_content(job),
            },
        )
        return run

    async def get(self, run_id: str) -> Run | None:
        rows = await self._db.select("SELECT * FROM $id", {"id": rid("run", run_id)})
        return _run(rows[0]) if rows else None

    async def document(self, run_id: str) -> dict[str, Any] | None:
        results = await self._db.query(_DOCUMENT, {"id": rid("run", run_id), "key": run_id})
        return None if results[-1] is None else dict(loads(results[-1]))

    async def list(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Run]:
        statuses = None if status is None else (status,)
        where, params = _where(RunQuery(workflow_id=workflow_id, statuses=statuses))
        rows = await self._db.select(
            f"SELECT * FROM run WHERE {where} ORDER BY created_at DESC, id"
            " LIMIT $limit START $offset",
            {**params, "limit": limit, "offset": offset},
        )
        return [_run(row) for row in rows]

    async def page(
        self, query: RunQuery, *, limit: int = 20, offset: int = 0
    ) -> tuple[builtins.list[Run], int]:
        where, params = _where(query)
        rows, total = await self._db.query(
            f"SELECT * FROM run WHERE {where} ORDER BY created_at DESC, id"
            f" LIMIT $limit START $offset; SELECT count() FROM run WHERE {where} GROUP ALL;",
            {**params, "limit": limit, "offset": offset},
        )
        return [_run(row) for row in rows or []], int(total[0]["count"]) if total else 0

    async def mark_running(self, run_id: str) -> Run:
        return await self._update(
            run_id, "status = 'running', started_at = started_at ?? $now", {"now": time.time()}
        )

    async def finish(
        self,
        run_id: str,
        *,
        status: str,
        outputs: dict[str, Any] | None = None,
        error: str | None = None,
        total_tokens: int = 0,
        total_steps: int = 0,
        events: Sequence[NewEvent] = (),
        nodes: Sequence[NodeUpdate] = (),
        done_job: Job | None = None,
    ) -> Run:
        now = time.time()
        body = _FINISH + (append_statements(events, nodes) if events or nodes else "")
        body += _DONE if done_job else ""
        row = await self._db.transaction(
            f"{body}RETURN $finished;",
            {
                **log_params(run_id, events, nodes, now),
                "job": rid("job", done_job.id) if done_job else None,
                "worker": done_job.worker_id if done_job else None,
                "status": status,
                "outputs": dumps_or_none(outputs),
                "error": error,
                "total_tokens": total_tokens,
                "total_steps": total_steps,
            },
        )
        return _run(row)

    async def _update(self, run_id: str, assignments: str, params: dict[str, Any]) -> Run:
        rows = await self._db.write_rows(
            f"UPDATE $id SET {assignments} RETURN AFTER", {**params, "id": rid("run", run_id)}
        )
        if not rows:
            raise NotFound("run", run_id)
        return _run(rows[0])

    async def request_stop(self, run_id: str) -> bool:
        rows = await self._db.write_rows(
            "UPDATE $id SET stop_requested = true RETURN VALUE id", {"id": rid("run", run_id)}
        )
        return bool(rows)

    async def stop_requested(self, run_id: str) -> bool:
        rows = await self._db.select(
            "SELECT VALUE stop_requested FROM $id", {"id": rid("run", run_id)}
        )
        return bool(rows and rows[0])

    async def delete_finished(self, before: float, *, batch: int = 50) -> int:
        removed = 0
        while True:
            deleted = await self._db.transaction(
                _DELETE_FINISHED,
                {
                    "before": before,
                    "statuses": list(FINISHED_RUN_STATUSES),
                    "limit": batch,
                    "max_seq": 2**63 - 1,
                },
            )
            removed += int(deleted)
            if not deleted:
                return removed


class SurrealNodeExecutions:
    def __init__(self, db: SurrealDatabase) -> None:
        self._db = db

    async def record(
        self,
        *,
        run_id: str,
        node_id: str,
        status: str,
        index: int = 0,
        node_type: str = "",
        title: str = "",
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        error: str | None = None,
        started_at: float | None = None,
        finished_at: float | None = None,
        tokens: int = 0,
        attempt: int = 1,
    ) -> NodeExecution:
        row = await self._db.transaction(
            _RECORD_NODE,
            {
                "new_id": rid("node_execution", new_id()),
                "node": {
                    "run_id": run_id,
                    "node_id": node_id,
                    "index": index,
                    "node_type": node_type,
                    "title": title,
                    "status": status,
                    "inputs": dumps_or_none(inputs),
                    "outputs": dumps_or_none(outputs),
                    "error": error,
                    "started_at": started_at,
                    "finished_at": finished_at,
                    "tokens": tokens,
                    "attempt": attempt,
                    "recorded_at": time.time(),
                },
            },
        )
        return to_record(NodeExecution, plain(row), _NODE_JSON)

    async def list_for_run(self, run_id: str) -> builtins.list[NodeExecution]:
        rows = await self._db.select(
            "SELECT * FROM node_execution WHERE run_id = $run ORDER BY recorded_at, id",
            {"run": run_id},
        )
        return [to_record(NodeExecution, plain(row), _NODE_JSON) for row in rows]

    async def finished_outputs(self, run_id: str) -> dict[str, dict[str, Any]]:
        rows = await self._db.select(
            "SELECT node_id, outputs FROM node_execution"
            " WHERE run_id = $run AND index = 0 AND status = 'succeeded'",
            {"run": run_id},
        )
        return {
            row["node_id"]: dict(loads(row["outputs"])) if row.get("outputs") else {}
            for row in rows
        }

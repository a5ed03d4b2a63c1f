"""The workflow app's run logs (Dify's `GET /v1/workflows/logs`): runs of its published
versions in workflow mode, newest first, paged by number with a total.

As in Dify, runs of the draft (the studio's test runs) and chat turns are not in the logs;
a keyword (its first 30 characters) is looked for in the run's inputs and outputs (their
stored JSON text) and its user, or is the run's id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Final

import msgspec

from flowstead.store.protocol import RunQuery, Store
from flowstead.store.records import Run

# Dify's status names → the stored statuses each takes. Dify takes the first three;
# `running` (queued or running) and `partial-succeeded` are Flowstead's extras.
STATUSES: Final = {
    "succeeded": ("succeeded",),
    "failed": ("failed",),
    "stopped": ("stopped",),
    "partial-succeeded": ("partial_succeeded",),
    "running": ("queued", "running"),
}
KEYWORD_CHARS: Final = 30


class InvalidLogQuery(ValueError):
    """A filter that cannot be read (an unknown status, a time that is not ISO 8601)."""


class LogFilter(msgspec.Struct, frozen=True, kw_only=True):
    """The logs' filters as the client gave them (Dify's names, times as ISO 8601 text)."""

    status: str | None = None
    keyword: str | None = None
    created_at__before: str | None = None
    created_at__after: str | None = None
    created_by_end_user_session_id: str | None = None
    created_by_account: str | None = None


class LogPage(msgspec.Struct, frozen=True, kw_only=True):
    runs: list[Run]
    total: int
    # run id → how many of its nodes failed with the failure handled by an error strategy.
    exceptions: dict[str, int]


def epoch(text: str, name: str) -> float:
    """ISO 8601 text as epoch seconds; without an offset it is UTC (as Dify reads it)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidLogQuery(f"`{name}` is not an ISO 8601 date and time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def run_query(workflow_id: str, given: LogFilter) -> RunQuery:
    """The store query for the filters, or `InvalidLogQuery`."""
    statuses = None
    if given.status:
        if given.status not in STATUSES:
            allowed = ", ".join(STATUSES)
            raise InvalidLogQuery(f"`status` must be one of {allowed}, not {given.status!r}")
        statuses = STATUSES[given.status]
    if given.created_by_account:
        # Flowstead has no accounts: Dify's answer for an address it does not know.
        raise InvalidLogQuery(f"Account not found: {given.created_by_account}")
    before, after = given.created_at__before, given.created_at__after
    return RunQuery(
        workflow_id=workflow_id,
        mode="workflow",
        published=True,
        statuses=statuses,
        user=given.created_by_end_user_session_id or None,
        created_before=epoch(before, "created_at__before") if before else None,
        created_after=epoch(after, "created_at__after") if after else None,
        keyword=_keyword(given.keyword) if given.keyword else None,
    )


def _keyword(text: str) -> str:
    """Dify looks for the first 30 characters in the text, and for the whole keyword as a
    run id; a UUID (an id) is kept whole."""
    try:
        uuid.UUID(text)
    except ValueError:
        return text[:KEYWORD_CHARS]
    return text


async def logs(
    store: Store, workflow_id: str, given: LogFilter, *, page: int, limit: int
) -> LogPage:
    """Page `page` (from 1) of the workflow's logs and how many there are in all."""
    runs, total = await store.runs.page(
        run_query(workflow_id, given), limit=limit, offset=(page - 1) * limit
    )
    exceptions = {}
    for run in runs:
        # A run that succeeded outright handled no failure; only the others are counted.
        handled = 0
        if run.status != "succeeded":
            nodes = await store.nodes.list_for_run(run.id)
            handled = sum(1 for node in nodes if node.status == "exception")
        exceptions[run.id] = handled
    return LogPage(runs=runs, total=total, exceptions=exceptions)

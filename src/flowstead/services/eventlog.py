"""`EventLog`: stores one run's events and node executions as the engine yields them.

Whatever arrived while the last write ran goes into the next write, in order: batches are
as large as the store's pace makes them, and a lone text chunk is written at once, never
held back waiting for company. A write stores the events with the node executions they
start or end, and the last one records the run's end as well, each in one transaction.
Each write of events is followed by a `run:<id>` notification, the last by `done:<id>`.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Self

from flowstead.services.notify import Notifier, done_topic, run_topic
from flowstead.store.protocol import NodeUpdate, Store
from flowstead.store.records import Job


class EventLog:
    def __init__(
        self, store: Store, notifier: Notifier, run_id: str, *, done_job: Job | None = None
    ) -> None:
        """`done_job`: the claimed job running the run, marked done with its end."""
        self._store = store
        self._notifier = notifier
        self._run_id = run_id
        self._done_job = done_job
        self.ended = False
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._nodes: list[NodeUpdate] = []
        self._end: dict[str, Any] | None = None
        self._start = False
        self._pending = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._failure: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._write_loop(), name=f"events-{self._run_id}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Store what is left (also when the run was cancelled), then stop writing."""
        try:
            if self._failure is None:
                await asyncio.shield(self._idle.wait())
        finally:
            if self._task is not None:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        if exc is None:
            self._raise_failure()

    def append(self, type: str, data: dict[str, Any]) -> None:
        self._raise_failure()
        self._events.append((type, data))
        self._wake()

    def mark_running(self) -> None:
        """Mark the run `running` with the next write, in the same transaction."""
        self._start = True

    def record_node(self, **execution: Any) -> None:
        """Insert or overwrite a node execution (the fields of `NodeUpdate`)."""
        self._raise_failure()
        self._nodes.append(NodeUpdate(**execution))
        self._wake()

    async def flush(self) -> None:
        """Wait until everything added so far is stored."""
        await self._idle.wait()
        self._raise_failure()

    async def finish(self, event: tuple[str, dict[str, Any]] | None, **end: Any) -> None:
        """Store the last event (if any) with the run's end (the fields of
        `store.runs.finish`), after everything added before it, and wait until it is
        stored; `ended` says it was."""
        self._raise_failure()
        if event is not None:
            self._events.append(event)
        self._end = end
        self._wake()
        await self.flush()

    def _wake(self) -> None:
        self._idle.clear()
        self._pending.set()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def _write(
        self,
        events: list[tuple[str, dict[str, Any]]],
        nodes: list[NodeUpdate],
        end: dict[str, Any] | None,
        start: bool,
    ) -> None:
        if end is None:
            await self._store.events.append_many(
                self._run_id, events, nodes=nodes, mark_running=start
            )
            return
        if start:  # ended before its first write: it did start (`started_at`)
            await self._store.events.append_many(self._run_id, [], mark_running=True)
        await self._store.runs.finish(
            self._run_id, **end, events=events, nodes=nodes, done_job=self._done_job
        )
        self.ended = True

    async def _write_loop(self) -> None:
        try:
            while True:
                await self._pending.wait()
                self._pending.clear()
                while self._events or self._nodes or self._end is not None:
                    nodes, self._nodes = self._nodes, []
                    events, self._events = self._events, []
                    end, self._end = self._end, None
                    # A node that started and finished since the last write is written
                    # once, finished: the record is keyed by node and index anyway.
                    latest = list({(n.node_id, n.index): n for n in nodes}.values())
                    start, self._start = self._start, False
                    await self._write(events, latest, end, start)
                    if end is not None:
                        self._notifier.publish(run_topic(self._run_id), done_topic(self._run_id))
                    elif events:
                        self._notifier.publish(run_topic(self._run_id))
                self._idle.set()
        except Exception as exc:
            self._failure = exc
            self._idle.set()

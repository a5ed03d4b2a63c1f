"""`RunExecutor`: executes one claimed run and stores everything the engine yields.

A run claimed while already `running` was left by a worker that died or handed it back:
it continues from the nodes its event log shows finished (sequence numbers continue from
the log's last one). A run that cannot start or continue ends `failed` with the reason,
so no run is ever left `running` by its executor.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Literal, cast

import msgspec

from flowstead.engine.collaborators import Collaborators
from flowstead.engine.commands import Command
from flowstead.engine.engine import CompiledWorkflow
from flowstead.engine.events import (
    Event,
    NodeFinished,
    NodeStarted,
    RunFinished,
    RunStarted,
    Snapshot,
)
from flowstead.engine.limits import Limits
from flowstead.engine.node import RunInfo
from flowstead.engine.ports import LLM, ChatChunk, ChatMessage, ChatRequest
from flowstead.services.compiled import CompiledWorkflows, Unrunnable
from flowstead.services.eventlog import EventLog
from flowstead.services.inputs import split_system
from flowstead.services.notify import Notifier, Subscription, stop_topic
from flowstead.services.resume import edit, interrupted, read_log, rerun_nodes, snapshot
from flowstead.services.runs import TERMINAL
from flowstead.services.uploads import message_files
from flowstead.store.protocol import Store
from flowstead.store.records import Job, Run, RunEvent

log = logging.getLogger(__name__)

# Earlier turns handed to the engine; an LLM node's memory window takes the last of them.
HISTORY_TURNS = 50


class StopChannel:
    """The engine's command channel for one run: a stop requested in the store, noticed
    when `stop:<id>` is published or, should that be missed, on the next slow check.

    `requested` is the run's flag as read after `stop` was subscribed to: a stop asked
    for later wakes the subscription."""

    def __init__(
        self, store: Store, stop: Subscription, run_id: str, poll: float, *, requested: bool
    ) -> None:
        self._store = store
        self._stop = stop
        self._run_id = run_id
        self._poll = poll
        self._requested = requested
        self._sent = False

    async def receive(self) -> Command:
        if self._sent:  # a stop is obeyed once; nothing else comes through here
            await asyncio.Future()
        while not self._requested:
            await self._stop.wait(self._poll)
            self._requested = await self._store.runs.stop_requested(self._run_id)
        self._sent = True
        return Command("stop", "stopped by request")


class PacedLLM:
    """The LLM port, giving the event loop a turn after each streamed chunk: a reply that
    arrives all at once (already buffered) would otherwise be read to its end before the
    run's event log could store its first chunk."""

    def __init__(self, llm: LLM) -> None:
        self._llm = llm

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        async for chunk in self._llm.stream(request):
            yield chunk
            await asyncio.sleep(0)


class RunExecutor:
    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        collaborators: Collaborators,
        *,
        limits: Limits,
        compiled: CompiledWorkflows | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._collaborators = dataclasses.replace(collaborators, llm=PacedLLM(collaborators.llm))
        self._limits = limits
        self._compiled = compiled or CompiledWorkflows()
        self._poll = poll_seconds

    async def execute_job(self, job: Job) -> bool:
        """The worker's handler for `run` jobs; True when the job was marked done with
        the run's end (the worker need not record it)."""
        if job.run_id is None:
            return False
        return await self.execute(job.run_id, job=job)

    async def execute(self, run_id: str, *, job: Job | None = None) -> bool:
        """Execute or continue the run; `job`, the claimed job running it, is marked done
        with the run's end (True if it was)."""
        # Subscribed before the run is read: a stop asked for from now on wakes the run,
        # one asked for before shows in what is read.
        with self._notifier.subscribe(stop_topic(run_id)) as stop:
            run = await self._store.runs.get(run_id)
            if run is None or run.status in TERMINAL:
                return False
            channel = StopChannel(
                self._store, stop, run.id, self._poll, requested=run.stop_requested
            )
            async with EventLog(self._store, self._notifier, run_id, done_job=job) as events:
                try:
                    await self._execute(run, events, channel)
                except Exception as exc:
                    log.exception("run failed with an internal error")
                    await self._fail(run, events, f"internal error: {type(exc).__name__}: {exc}")
            return events.ended and job is not None

    async def _execute(self, run: Run, events: EventLog, commands: StopChannel) -> None:
        logged = await read_log(self._store, run.id) if run.status == "running" else []
        finished = next((e for e in logged if e.type == "run_finished"), None)
        if finished is not None:  # its worker died between storing the end and recording it
            ended = msgspec.convert(finished.data, RunFinished)
            await events.finish(None, **_end(ended))
            _log_end(ended)
            return
        try:
            workflow = await self._compiled.get(
                run.workflow_id, run.version, lambda: self._store.runs.document(run.id)
            )
            resume = await self._resume_point(run, workflow, logged, events)
        except Unrunnable as exc:
            verb = "continue" if run.status == "running" else "start"
            await self._fail(run, events, f"the run cannot {verb}: {exc}")
            return
        events.mark_running()
        log.info("run started", extra={"resumed": resume is not None})
        inputs, system = split_system(run.inputs)
        conversation, history = await self._chat_state(run)
        # An async generator: closing it at once (also when this task is cancelled) stops
        # the engine's tasks with it.
        stream = cast(
            AsyncGenerator[Event, None],
            workflow.run(
                inputs,
                RunInfo(
                    run_id=run.id,
                    workflow_id=run.workflow_id,
                    mode=_mode(run.mode),
                    user=run.user,
                    conversation_id=run.conversation_id,
                ),
                self._collaborators,
                conversation=conversation,
                history=history,
                files=system.get("files") or (),
                query=system.get("query") or "",
                resume=resume,
                commands=commands,
                limits=self._limits,
            ),
        )
        # Nodes the previous worker left half done run again; clients learn it right
        # after the resumed run_started.
        retries = interrupted(logged)
        async with contextlib.aclosing(stream):
            async for event in stream:
                if isinstance(event, RunFinished):
                    await self._finish(run, events, event, started_with=conversation)
                    return
                _record(events, event)
                if retries and isinstance(event, RunStarted):
                    for retry in retries:
                        _record(events, retry)
                    retries = []
        raise RuntimeError("the engine ended the run without run_finished")

    async def _resume_point(
        self,
        run: Run,
        workflow: CompiledWorkflow,
        logged: list[RunEvent],
        events: EventLog,
    ) -> Snapshot | None:
        """The snapshot to continue from: the run's own finished nodes, and for a rerun
        also the nodes it reuses from its source run (recorded on the new run too)."""
        own = snapshot(logged) if run.status == "running" else None
        rerun = split_system(run.inputs)[1].get("rerun")
        if run.resumed_from is None or not isinstance(rerun, dict):
            return own
        document = workflow.document
        node_id = str(rerun.get("node_id", ""))
        if document.node(node_id) is None:
            raise Unrunnable(f"the workflow has no node {node_id} to rerun from")
        source = await read_log(self._store, run.resumed_from)
        reused = snapshot(source, without=rerun_nodes(document, node_id))
        edit(reused, rerun.get("edits") or {})
        if own is None:
            for reused_id, kept in reused.nodes.items():
                node = document.node(reused_id)
                events.record_node(
                    node_id=reused_id,
                    status=kept.status,
                    node_type=node.type if node else "",
                    title=node.title if node else "",
                    outputs=kept.outputs,
                )
            return reused
        reused.nodes.update(own.nodes)
        reused.conversation.update(own.conversation)
        return reused

    async def _chat_state(self, run: Run) -> tuple[dict[str, Any], list[ChatMessage]]:
        """The conversation's variables and earlier turns (empty outside chat mode)."""
        if run.conversation_id is None:
            return {}, []
        conversation = await self._store.conversations.get(run.conversation_id)
        messages = await self._store.messages.list(run.conversation_id, limit=HISTORY_TURNS)
        history: list[ChatMessage] = []
        for message in messages:
            history += [
                ChatMessage("user", message.query),
                ChatMessage("assistant", message.answer),
            ]
        return (dict(conversation.variables) if conversation else {}), history

    async def _finish(
        self,
        run: Run,
        events: EventLog,
        finished: RunFinished,
        *,
        started_with: dict[str, Any] | None = None,
    ) -> None:
        kind, data = _encode(finished)
        if run.conversation_id is not None:
            message_id = await self._store_turn(run, finished, started_with or {})
            if message_id is not None:
                data["message_id"] = message_id
        await events.finish((kind, data), **_end(finished))
        _log_end(finished)

    async def _store_turn(
        self, run: Run, finished: RunFinished, started_with: dict[str, Any]
    ) -> str | None:
        """Keep the conversation variables the run changed and, for a run that answered,
        the turn. Only those it changed: one set meanwhile (`PUT …/variables/{id}`, another
        turn) stays as it is."""
        assert run.conversation_id is not None
        changed = {
            name: value
            for name, value in finished.conversation.items()
            if name not in started_with or started_with[name] != value
        }
        if changed:
            current = await self._store.conversations.get(run.conversation_id)
            variables = dict(current.variables) if current else {}
            await self._store.conversations.set_variables(run.conversation_id, variables | changed)
        if finished.status not in ("succeeded", "partial_succeeded"):
            return None
        latest = await self._store.messages.list(run.conversation_id, limit=1)
        if latest and latest[-1].run_id == run.id:  # stored before a crash: not twice
            return latest[-1].id
        inputs, system = split_system(run.inputs)
        message = await self._store.messages.add(
            conversation_id=run.conversation_id,
            run_id=run.id,
            query=str(system.get("query") or ""),
            answer=str(finished.outputs.get("answer", "")),
            inputs=inputs,
            files=message_files(system.get("files")),
            tokens=finished.total_tokens,
        )
        return message.id

    async def _fail(self, run: Run, events: EventLog, error: str) -> None:
        finished = RunFinished(status="failed", error=error)
        await events.finish(_encode(finished), **_end(finished))
        _log_end(finished)


def _end(finished: RunFinished) -> dict[str, Any]:
    """The fields of `store.runs.finish` for the run's end."""
    return {
        "status": finished.status,
        "outputs": finished.outputs,
        "error": finished.error,
        "total_tokens": finished.total_tokens,
        "total_steps": finished.total_steps,
    }


def _log_end(finished: RunFinished) -> None:
    log.info("run finished", extra={"status": finished.status, "error": finished.error})


def _record(events: EventLog, event: Event) -> None:
    """Store the event, and for node events the node execution it starts or ends."""
    kind, data = _encode(event)
    events.append(kind, data)
    if isinstance(event, NodeStarted):
        events.record_node(
            node_id=event.node_id,
            index=_index(event),
            status="running",
            node_type=event.node_type,
            title=event.title,
            started_at=time.time(),
        )
    elif isinstance(event, NodeFinished):
        now = time.time()
        events.record_node(
            node_id=event.node_id,
            index=_index(event),
            status=event.status,
            node_type=event.node_type,
            title=event.title,
            inputs=data["inputs"],
            outputs=data["outputs"],
            error=event.error,
            started_at=now - event.elapsed,
            finished_at=now,
            tokens=event.usage.total_tokens if event.usage else 0,
            attempt=event.attempt,
        )


def _encode(event: Event) -> tuple[str, dict[str, Any]]:
    """The event's type, and its other fields as JSON-ready values."""
    data: dict[str, Any] = msgspec.to_builtins(event)
    return data.pop("event"), data


def _index(event: NodeStarted | NodeFinished) -> int:
    """0 for a top-level node; 1 + the round for a node inside an iteration or loop."""
    place = event.iteration_index if event.iteration_index is not None else event.loop_index
    return 0 if place is None else place + 1


def _mode(mode: str) -> Literal["workflow", "chat"]:
    return "chat" if mode == "chat" else "workflow"

"""Compile a workflow document once, run it many times as a stream of events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from flowstead.dsl.document import Document
from flowstead.engine import graph, validation
from flowstead.engine.collaborators import Collaborators
from flowstead.engine.commands import CommandChannel
from flowstead.engine.events import Event, RunFinished, RunStarted, RunStatus, Snapshot
from flowstead.engine.limits import Limits
from flowstead.engine.node import RunInfo
from flowstead.engine.pool import initial
from flowstead.engine.ports import ChatMessage
from flowstead.engine.run import Outbox, Run
from flowstead.engine.walk import Walk


class WorkflowInvalid(ValueError):
    """The runner refuses the document; `issues` are validation's errors."""

    def __init__(self, issues: list[validation.Issue]):
        where = "; ".join(f"{i.node_id or 'workflow'}: {i.message}" for i in issues)
        super().__init__(f"the workflow cannot run: {where}")
        self.issues = issues


class CompiledWorkflow:
    """A document with typed configs, an indexed graph and warmed templates."""

    __slots__ = ("document", "root")

    def __init__(self, document: Document, root: graph.Scope):
        self.document = document
        self.root = root

    @classmethod
    def compile(cls, document: Document) -> CompiledWorkflow:
        """Raises `WorkflowInvalid` when validation finds errors in the document."""
        issues = validation.errors(validation.validate(document))
        if issues:
            raise WorkflowInvalid(issues)
        return cls(document, graph.build(document))

    async def run(
        self,
        inputs: Mapping[str, Any],
        run_info: RunInfo,
        collaborators: Collaborators,
        *,
        env: Mapping[str, Any] | None = None,
        conversation: Mapping[str, Any] | None = None,
        history: Sequence[ChatMessage] = (),
        files: Sequence[Mapping[str, Any]] = (),
        query: str = "",
        resume: Snapshot | None = None,
        commands: CommandChannel | None = None,
        limits: Limits | None = None,
    ) -> AsyncIterator[Event]:
        """Run the workflow; the events end with `run_finished` (or `run_paused`, after
        which the run waits for a resume or stop command, or for the caller to close)."""
        outbox = Outbox()
        run = Run(run_info, collaborators, history, limits or Limits(), outbox.put)
        namespace = initial(
            self.document,
            run_info,
            env=env or {},
            conversation=conversation or {},
            history=history,
            files=files,
            query=query,
            timestamp=collaborators.clock.now(),
        )
        if resume is not None:
            namespace["conversation"].update(resume.conversation)
        # Start nodes find the raw inputs under their own id, and replace them with
        # the checked, typed values.
        for node_id in self.root.entries:
            namespace[node_id] = dict(inputs)
        run.emit(
            RunStarted(
                run_id=run_info.run_id,
                workflow_id=run_info.workflow_id,
                inputs=dict(inputs),
                at=collaborators.clock.now(),
                resumed=resume is not None,
            )
        )
        walk = Walk(run, self.root, namespace, resume=resume.nodes if resume else None, top=True)
        tasks = [asyncio.create_task(self._main(run, walk))]
        run.task = tasks[0]
        if commands is not None:
            tasks.append(asyncio.create_task(run.listen(commands)))
        try:
            while True:
                for event in await outbox.take():
                    yield event
                    if type(event) is RunFinished:
                        return
        finally:
            running = [task for task in tasks if not task.done()]
            for task in running:
                task.cancel()
            if running:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*running, return_exceptions=True)

    async def _main(self, run: Run, walk: Walk) -> None:
        status: RunStatus
        try:
            failure = await walk.execute()
        except asyncio.CancelledError:
            if run.aborted is None:
                raise
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
            status, failure = run.aborted
        except Exception as exc:  # a bug in the engine: the run still ends, and says why
            status, failure = "failed", f"engine error: {type(exc).__name__}: {exc}"
        else:
            if failure is not None:
                status = "failed"
            else:
                status = "partial_succeeded" if run.handled_failure else "succeeded"
        outputs = run.outputs
        if not outputs and run.answers:
            outputs = {"answer": "".join(run.answers)}
        run.emit(
            RunFinished(
                status=status,
                outputs=outputs if status in ("succeeded", "partial_succeeded") else {},
                error=failure,
                total_tokens=run.tokens,
                total_steps=run.budget.steps,
                elapsed=run.budget.elapsed(),
                conversation=dict(walk.namespace["conversation"]),
            )
        )

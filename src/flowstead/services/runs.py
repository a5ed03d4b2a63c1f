"""Runs as the API sees them: start (validate, enqueue, wake a worker), stop, follow, rerun.

The API never executes a run: it stores it with its job and a worker claims it. Following a
run reads its stored event log, woken by `run:<id>` notifications, so a client that
reconnects with the last sequence number it saw loses nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Literal, get_args

from flowstead.engine.engine import CompiledWorkflow
from flowstead.engine.events import RunStatus
from flowstead.engine.nodes.start import StartConfig, StartInput
from flowstead.services.compiled import CompiledWorkflows, Unrunnable
from flowstead.services.inputs import (
    SYS_FILES,
    SYS_QUERY,
    SYS_RERUN,
    InvalidInputs,
    check_inputs,
)
from flowstead.services.notify import JOBS, Notifier, done_topic, run_topic, stop_topic
from flowstead.services.uploads import FileValues, InvalidFileValue
from flowstead.store.protocol import Store
from flowstead.store.records import Conversation, Run, RunEvent

# The statuses a run ends with; before that it is `queued` or `running`.
TERMINAL = frozenset(get_args(RunStatus))
EVENT_PAGE = 500

RejectionCode = Literal[
    "not_found",
    "invalid_param",
    "not_published",
    "not_chat_app",
    "not_workflow_app",
    "invalid_workflow",
    "conflict",
]


class RunRejected(Exception):
    """A run was not started; nothing was stored. `code` says why in a word, the message
    in a sentence (the API maps codes to statuses: not_found → 404, the rest → 400/409)."""

    def __init__(self, code: RejectionCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class RunService:
    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        *,
        compiled: CompiledWorkflows | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._compiled = compiled or CompiledWorkflows()
        self._poll = poll_seconds
        self._files = FileValues(store)

    async def start_run(
        self,
        workflow_id: str,
        *,
        version: int | Literal["published"] | None = "published",
        inputs: Mapping[str, Any] | None = None,
        user: str = "",
        mode: str | None = None,
        query: str = "",
        conversation_id: str | None = None,
        files: Sequence[Mapping[str, Any]] = (),
        source: str = "api",
    ) -> Run:
        """Queue a run of the workflow and wake a worker.

        `version`: a number, "published" (the newest published version) or None (the draft).
        `mode` (when given) must match the workflow's. Chat mode needs `query`; without a
        `conversation_id` it starts a new conversation (`run.conversation_id` names it),
        with one it reuses the conversation's first inputs, as Dify does. File values
        (Start inputs typed file or files, and `files`, which become `sys.files`) may be
        Dify's (`transfer_method` local_file or remote_url) or Flowstead's; they are stored
        as the engine reads them."""
        number, workflow = await self._workflow(workflow_id, version)
        document = workflow.document
        if mode is not None and mode != document.mode:
            # Dify's codes for a chat route called on a workflow app and the other way round.
            raise RunRejected(
                "not_chat_app" if mode == "chat" else "not_workflow_app",
                f"this workflow runs in {document.mode} mode, not {mode} mode",
            )
        conversation: Conversation | None = None
        if document.mode == "chat":
            if not query.strip():
                raise RunRejected("invalid_param", "a chat run needs a query")
            if conversation_id is not None:
                conversation = await self._conversation(conversation_id, workflow_id, user)
        system_files = await self._system_files(files)
        if conversation is not None:
            checked = conversation.inputs
        else:
            checked = await _checked(workflow, await self._file_inputs(workflow, inputs or {}))
        if document.mode == "chat" and conversation is None:
            conversation = await self._store.conversations.create(
                workflow_id=workflow_id, user=user, name=query.strip()[:40], inputs=checked
            )
        values = dict(checked)
        if document.mode == "chat":
            values[SYS_QUERY] = query
        if system_files:
            values[SYS_FILES] = system_files
        run = await self._store.runs.create(
            workflow_id=workflow_id,
            inputs=values,
            version=number,
            user=user,
            conversation_id=conversation.id if conversation else None,
            source=source,
            mode=document.mode,
        )
        self._notifier.publish(JOBS)
        return run

    async def stop_run(self, run_id: str) -> bool:
        """Ask the run to stop; its worker stops the running node within a second.
        False if there is no such run. A finished run is left as it is."""
        run = await self._store.runs.get(run_id)
        if run is None:
            return False
        if run.status not in TERMINAL:
            await self._store.runs.request_stop(run_id)
            self._notifier.publish(stop_topic(run_id))
        return True

    async def events_after(self, run_id: str, after_seq: int = 0) -> AsyncIterator[RunEvent]:
        """The run's stored events after `after_seq`, then each new one as it is stored,
        until `run_finished` (or until the run is over without one, e.g. its worker was
        lost for good)."""
        seq = after_seq
        with self._notifier.subscribe(run_topic(run_id)) as appended:
            while True:
                events = await self._store.events.read(run_id, after_seq=seq, limit=EVENT_PAGE)
                for event in events:
                    yield event
                    seq = event.seq
                    if event.type == "run_finished":
                        return
                if len(events) == EVENT_PAGE:
                    continue
                if events or await appended.wait(self._poll):
                    continue
                # A quiet period: the run may have ended without a run_finished event.
                run = await self._store.runs.get(run_id)
                if run is None or run.status in TERMINAL:
                    for event in await self._store.events.read(run_id, after_seq=seq):
                        yield event
                    return

    async def wait(self, run_id: str) -> Run | None:
        """The run once it has finished (None if there is no such run)."""
        with self._notifier.subscribe(done_topic(run_id)) as done:
            while True:
                run = await self._store.runs.get(run_id)
                if run is None or run.status in TERMINAL:
                    return run
                await done.wait(self._poll)

    async def rerun_from(
        self, run_id: str, node_id: str, edits: Mapping[str, Any] | None = None
    ) -> Run:
        """A new run of the same version (or of the current draft, for a draft run) that
        reuses the outputs of the finished run's nodes before `node_id` and runs `node_id`
        and everything after it again. `edits` maps selectors (`llm.text`) to values that
        replace reused outputs."""
        source = await self._store.runs.get(run_id)
        if source is None:
            raise RunRejected("not_found", f"run {run_id} not found")
        if source.status not in TERMINAL:
            raise RunRejected("conflict", "a run can be rerun once it has finished")
        _number, workflow = await self._workflow(source.workflow_id, source.version)
        document = workflow.document
        if document.node(node_id) is None:
            raise RunRejected("not_found", f"the workflow has no node {node_id}")
        for selector in edits or {}:
            owner = selector.partition(".")[0]
            if document.node(owner) is None or "." not in selector:
                raise RunRejected("invalid_param", f"`{selector}` names no node output")
        run = await self._store.runs.create(
            workflow_id=source.workflow_id,
            inputs={**source.inputs, SYS_RERUN: {"node_id": node_id, "edits": dict(edits or {})}},
            version=source.version,
            user=source.user,
            conversation_id=source.conversation_id,
            source=source.source,
            mode=source.mode,
            resumed_from=source.id,
        )
        self._notifier.publish(JOBS)
        return run

    async def _workflow(
        self, workflow_id: str, version: int | Literal["published"] | None
    ) -> tuple[int | None, CompiledWorkflow]:
        workflow = await self._store.workflows.get(workflow_id)
        if workflow is None:
            raise RunRejected("not_found", f"workflow {workflow_id} not found")
        if version == "published":
            if workflow.published_version is None:
                raise RunRejected("not_published", "the workflow has not been published yet")
            version = workflow.published_version

        async def document() -> dict[str, Any] | None:
            if version is None:
                return workflow.document
            found = await self._store.workflows.get_version(workflow_id, version)
            if found is None:
                raise RunRejected("not_found", f"the workflow has no version {version}")
            return found.document

        try:
            return version, await self._compiled.get(workflow_id, version, document)
        except Unrunnable as exc:
            raise RunRejected("invalid_workflow", str(exc)) from None

    async def _file_inputs(
        self, workflow: CompiledWorkflow, inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The inputs with the values of file inputs resolved (the Start node checks
        them after)."""
        resolved = dict(inputs)
        try:
            for spec in _file_specs(workflow):
                if spec.name not in resolved:
                    continue
                value = resolved[spec.name]
                resolved[spec.name] = await (
                    self._files.resolve(value, spec.name)
                    if spec.type == "file"
                    else self._files.resolve_many(value, spec.name)
                )
        except InvalidFileValue as exc:
            raise RunRejected("invalid_param", f"invalid inputs: {exc}") from None
        return resolved

    async def _system_files(self, files: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """`files` as `sys.files`: every item a file the engine can read."""
        resolved = []
        try:
            for number, file in enumerate(files):
                where = f"files[{number}]"
                value = await self._files.resolve(file, where)
                if not isinstance(value, dict) or not ("id" in value or "url" in value):
                    raise InvalidFileValue(
                        f"`{where}` is not a file: give its transfer_method, local_file"
                        " with an upload_file_id or remote_url with a url"
                    )
                resolved.append(value)
        except InvalidFileValue as exc:
            raise RunRejected("invalid_param", f"invalid files: {exc}") from None
        return resolved

    async def _conversation(
        self, conversation_id: str, workflow_id: str, user: str
    ) -> Conversation:
        conversation = await self._store.conversations.get(conversation_id)
        if (
            conversation is None
            or conversation.workflow_id != workflow_id
            or (conversation.user != user)
        ):
            raise RunRejected("not_found", f"conversation {conversation_id} not found")
        return conversation


def _file_specs(workflow: CompiledWorkflow) -> list[StartInput]:
    """The Start inputs that take a file or a list of files."""
    specs = []
    for entry in workflow.root.entries:
        config = workflow.root.nodes[entry].config
        if isinstance(config, StartConfig):
            specs += [spec for spec in config.inputs if spec.type in ("file", "files")]
    return specs


async def _checked(workflow: CompiledWorkflow, inputs: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return await check_inputs(workflow, inputs)
    except InvalidInputs as exc:
        raise RunRejected("invalid_param", f"invalid inputs: {exc}") from None

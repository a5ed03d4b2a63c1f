"""The `Store` port: intent-named repositories that both adapters implement.

Conventions: a read of an unknown id returns None (or an empty list); a write naming an
unknown record raises `NotFound`; `delete`/`revoke`/`request_stop` return whether the
record existed. Every write is one transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol

import msgspec

from flowstead.store.records import (
    AdminToken,
    ApiKey,
    Chunk,
    ChunkHit,
    Conversation,
    Feedback,
    Job,
    JobStatus,
    KnowledgeBase,
    KnowledgeDocument,
    Message,
    NewChunk,
    NodeExecution,
    ProviderSettings,
    RetrievalSettings,
    Run,
    RunEvent,
    Upload,
    WorkerBeat,
    Workflow,
    WorkflowVersion,
)

RUN_JOB_KIND = "run"
# An ingestion job; its payload names the knowledge document: {"document_id": …}.
INGEST_JOB_KIND = "ingest"
# The statuses a run ends with (the engine's `RunStatus`); before, it is queued or running.
FINISHED_RUN_STATUSES = ("succeeded", "partial_succeeded", "failed", "stopped")

Scalar = str | int | float | bool
MetadataFilters = Mapping[str, Sequence[Scalar]]
"""Chunk metadata key → the values it may have (any of them); every key must match."""


class Workflows(Protocol):
    async def create(
        self,
        *,
        name: str,
        document: dict[str, Any],
        description: str = "",
        mode: str = "workflow",
        trigger: dict[str, Any] | None = None,
    ) -> Workflow: ...

    async def get(self, workflow_id: str) -> Workflow | None: ...

    async def list(
        self, *, search: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[Workflow]:
        """Most recently updated first; `search` matches name or description, any case."""
        ...

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
        """Replace the draft document; other fields change only when given."""
        ...

    async def delete(self, workflow_id: str) -> bool:
        """Delete with its versions, runs (and their events, nodes, jobs), keys, chats."""
        ...

    async def publish(self, workflow_id: str) -> WorkflowVersion:
        """Copy the draft into a new immutable version numbered one past the last."""
        ...

    async def list_versions(self, workflow_id: str) -> builtins.list[WorkflowVersion]:
        """Newest first."""
        ...

    async def get_version(self, workflow_id: str, number: int) -> WorkflowVersion | None: ...

    async def latest_version(self, workflow_id: str) -> WorkflowVersion | None: ...


class NodeUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """A node execution to insert or overwrite, keyed by its run, `node_id` and `index`
    (the fields of `NodeExecutions.record`), written together with a run's events."""

    node_id: str
    status: str
    index: int = 0
    node_type: str = ""
    title: str = ""
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    tokens: int = 0
    attempt: int = 1


NewEvent = tuple[str, dict[str, Any]]
"""A run event to append: its type and its data."""


class RunQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which runs `Runs.page` takes: every field given must match (None: any).

    `keyword` matches a run whose stored inputs or outputs JSON text, or whose user,
    contains it (case-insensitive, at least for ASCII letters; a `"` or `\\` is escaped
    in that text), or whose id is exactly it. `published` True takes runs of a published
    version, False runs of the draft. The creation bounds are inclusive epoch seconds."""

    workflow_id: str | None = None
    statuses: tuple[str, ...] | None = None
    mode: str | None = None
    published: bool | None = None
    user: str | None = None
    created_after: float | None = None
    created_before: float | None = None
    keyword: str | None = None


class Runs(Protocol):
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
        """Create a queued run and enqueue its `run` job, atomically.

        `version` None runs the draft: the draft document is snapshotted into the run.
        Raises `NotFound` for an unknown workflow, version or conversation."""
        ...

    async def get(self, run_id: str) -> Run | None: ...

    async def document(self, run_id: str) -> dict[str, Any] | None:
        """The workflow document this run executes (its version's, or the draft snapshot)."""
        ...

    async def list(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Run]:
        """Newest first."""
        ...

    async def page(
        self, query: RunQuery, *, limit: int = 20, offset: int = 0
    ) -> tuple[builtins.list[Run], int]:
        """The matching runs, newest first, from `offset`; and how many match in all."""
        ...

    async def mark_running(self, run_id: str) -> Run:
        """Set status running; `started_at` is set on the first call only."""
        ...

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
        """Record the end of a run; `elapsed` counts from start (or creation if never started).

        `events` (its `run_finished`, say) are appended and `nodes` recorded in the same
        transaction, as `RunEvents.append_many` does, so the end is stored all at once;
        `done_job` (the claimed job that ran it) is marked done there too, as
        `Jobs.complete(done_job.id, done_job.worker_id)` does."""
        ...

    async def request_stop(self, run_id: str) -> bool: ...

    async def stop_requested(self, run_id: str) -> bool: ...

    async def delete_finished(self, before: float, *, batch: int = 50) -> int:
        """Delete the runs that finished (`FINISHED_RUN_STATUSES`) before `before` (epoch
        seconds), with their events, node executions, draft snapshots and ended jobs;
        returns how many went. A run whose job is still queued or running stays.

        The work goes in batches of at most `batch` runs, each its own short transaction
        (SQLite: also at most `100 * batch` events; a longer log is cut over several), so
        other writers never wait long. Messages and
        their feedback stay; their `run_id` then names no run."""
        ...


class NodeExecutions(Protocol):
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
        """Insert or overwrite the execution keyed by (run_id, node_id, index)."""
        ...

    async def list_for_run(self, run_id: str) -> builtins.list[NodeExecution]:
        """In the order they were first recorded."""
        ...

    async def finished_outputs(self, run_id: str) -> dict[str, dict[str, Any]]:
        """node_id → outputs of the run's succeeded executions at index 0 (for resume)."""
        ...


class RunEvents(Protocol):
    async def append(self, run_id: str, type: str, data: dict[str, Any] | None = None) -> int:
        """Append one event and return its sequence number."""
        ...

    async def append_many(
        self,
        run_id: str,
        events: Sequence[NewEvent],
        *,
        nodes: Sequence[NodeUpdate] = (),
        mark_running: bool = False,
    ) -> builtins.list[int]:
        """Append events in one transaction; their sequence numbers are contiguous.

        `nodes` (the executions these events start or end) are inserted or overwritten in
        the same transaction, as `NodeExecutions.record` does; with `mark_running` the run
        is marked running there too, as `Runs.mark_running` does (a run's first write)."""
        ...

    async def read(
        self, run_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> builtins.list[RunEvent]: ...

    async def last_seq(self, run_id: str) -> int:
        """0 when the run has no events."""
        ...


class Jobs(Protocol):
    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: float | None = None,
        max_attempts: int = 3,
    ) -> Job: ...

    async def claim_next(
        self, worker_id: str, lease_seconds: float, kinds: Sequence[str] | None = None
    ) -> Job | None:
        """Lease the next job: one whose lease expired (earliest first), else the queued
        job due longest.

        Each claim counts an attempt. A job whose lease expired on its last attempt
        becomes `dead` instead, and what it was doing fails: its run, if any, or the
        document an ingestion job was indexing (nobody else would ever finish it)."""
        ...

    async def claim_many(
        self,
        worker_id: str,
        lease_seconds: float,
        kinds: Sequence[str] | None = None,
        *,
        limit: int,
    ) -> builtins.list[Job]:
        """Lease up to `limit` jobs, the ones `claim_next` would take one after another
        (a worker with several free slots, in one transaction where the store allows)."""
        ...

    async def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float) -> bool:
        """Extend the lease; False if the job is no longer running under this worker."""
        ...

    async def complete(self, job_id: str, worker_id: str) -> bool: ...

    async def fail(
        self, job_id: str, worker_id: str, error: str, *, retry_at: float | None = None
    ) -> bool:
        """With `retry_at` and attempts left, queue it again for then; else mark it failed."""
        ...

    async def release(self, job_id: str, worker_id: str) -> bool:
        """Hand a claimed job back unworked (graceful shutdown): the attempt is not counted."""
        ...

    async def get(self, job_id: str) -> Job | None: ...

    async def list(
        self,
        *,
        status: JobStatus | None = None,
        kind: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Job]:
        """Newest first."""
        ...


class Workers(Protocol):
    async def beat(self, worker_id: str, info: dict[str, Any] | None = None) -> WorkerBeat: ...

    async def latest(self) -> WorkerBeat | None:
        """The most recent heartbeat of any worker."""
        ...


class Conversations(Protocol):
    async def create(
        self,
        *,
        workflow_id: str,
        user: str,
        name: str = "",
        inputs: dict[str, Any] | None = None,
        variables: dict[str, Any] | None = None,
    ) -> Conversation: ...

    async def get(self, conversation_id: str) -> Conversation | None: ...

    async def list(
        self, *, workflow_id: str, user: str, limit: int = 20, last_id: str | None = None
    ) -> builtins.list[Conversation]:
        """Most recently updated first, starting after `last_id` (NotFound if unknown)."""
        ...

    async def set_variables(
        self, conversation_id: str, variables: dict[str, Any]
    ) -> Conversation: ...

    async def rename(self, conversation_id: str, name: str) -> Conversation: ...

    async def delete(self, conversation_id: str) -> bool:
        """Delete with its messages; runs keep existing without the link."""
        ...


class Messages(Protocol):
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
        """Add a turn (with the files it carried) and mark the conversation updated."""
        ...

    async def list(
        self, conversation_id: str, *, limit: int = 20, first_id: str | None = None
    ) -> builtins.list[Message]:
        """The `limit` latest messages older than `first_id`, oldest first (Dify paging)."""
        ...

    async def count(self, conversation_id: str) -> int: ...

    async def get(self, message_id: str) -> Message | None: ...

    async def answered_by(self, run_id: str) -> Message | None:
        """The message a chat run answered with (API clients know a message by its run)."""
        ...

    async def has_upload(self, workflow_id: str, upload_id: str) -> bool:
        """Whether a message of one of the workflow's conversations carries the upload
        among its files."""
        ...


class Feedbacks(Protocol):
    async def rate(self, message_id: str, rating: str, content: str | None = None) -> Feedback:
        """Record the message's rating, or replace the rating and content it has (its id
        and creation time stay). Raises `NotFound` for an unknown message."""
        ...

    async def get(self, message_id: str) -> Feedback | None:
        """The message's feedback, if it has one."""
        ...

    async def for_messages(self, message_ids: Sequence[str]) -> dict[str, Feedback]:
        """message id → its feedback, for those of these messages that have one."""
        ...

    async def list(
        self, *, workflow_id: str, limit: int = 20, offset: int = 0
    ) -> builtins.list[Feedback]:
        """The feedback on the workflow's chats, newest first."""
        ...

    async def revoke(self, message_id: str) -> bool:
        """Forget the message's feedback; whether it had one."""
        ...


class ApiKeys(Protocol):
    async def create(self, workflow_id: str, name: str = "") -> tuple[ApiKey, str]:
        """A new `app-…` key; the plaintext is returned here and never again."""
        ...

    async def verify(self, plaintext: str) -> ApiKey | None:
        """The key's record if it exists and is not revoked."""
        ...

    async def list(self, workflow_id: str) -> builtins.list[ApiKey]: ...

    async def revoke(self, key_id: str) -> bool: ...


class AdminTokens(Protocol):
    async def create(self, name: str = "") -> tuple[AdminToken, str]:
        """A new `fst-…` token; the plaintext is returned here and never again."""
        ...

    async def verify(self, plaintext: str) -> AdminToken | None:
        """The token's record if valid; records the use in `last_used_at`."""
        ...

    async def list(self) -> builtins.list[AdminToken]: ...

    async def revoke(self, token_id: str) -> bool: ...


class Providers(Protocol):
    async def put(
        self,
        provider_id: str,
        *,
        kind: str,
        base_url: str | None = None,
        secrets: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
    ) -> ProviderSettings:
        """Create or replace a provider's settings; secrets are encrypted at rest."""
        ...

    async def get(self, provider_id: str) -> ProviderSettings | None:
        """With secrets decrypted (read at each use, so a rotated key applies at once)."""
        ...

    async def list(self) -> builtins.list[ProviderSettings]:
        """Without secret values; `secret_names` says which are set."""
        ...

    async def delete(self, provider_id: str) -> bool: ...


class Meta(Protocol):
    """Small instance-wide values (e.g. the hashed instance password)."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class KnowledgeBases(Protocol):
    async def create(
        self,
        *,
        name: str,
        description: str = "",
        embedding_provider: str | None = None,
        embedding_model: str | None = None,
        chunk_size: int = 512,
        chunk_overlap: int = 64,
        separators: Sequence[str] = (),
        retrieval: RetrievalSettings | None = None,
    ) -> KnowledgeBase:
        """Raises `Conflict` if the name is taken; `retrieval` None: the defaults."""
        ...

    async def get(self, kb_id: str) -> KnowledgeBase | None: ...

    async def get_by_name(self, name: str) -> KnowledgeBase | None: ...

    async def list(self) -> builtins.list[KnowledgeBase]:
        """By name."""
        ...

    async def update(
        self,
        kb_id: str,
        *,
        name: str,
        description: str,
        embedding_provider: str | None,
        embedding_model: str | None,
        chunk_size: int,
        chunk_overlap: int,
        separators: Sequence[str],
        retrieval: RetrievalSettings,
    ) -> KnowledgeBase:
        """Replace the settings; raises `NotFound`, or `Conflict` if the name is taken."""
        ...

    async def delete(self, kb_id: str) -> bool:
        """Delete with its documents and chunks."""
        ...


class Documents(Protocol):
    async def add(
        self,
        *,
        kb_id: str,
        name: str,
        source: str = "",
        content_type: str = "",
        size: int = 0,
        metadata: dict[str, Any] | None = None,
    ) -> KnowledgeDocument:
        """A new document in status `queued`."""
        ...

    async def set_file(
        self, document_id: str, *, size: int, content_type: str
    ) -> KnowledgeDocument:
        """Record what was fetched for the document (a URL import)."""
        ...

    async def get(self, document_id: str) -> KnowledgeDocument | None: ...

    async def list(self, kb_id: str) -> builtins.list[KnowledgeDocument]:
        """Oldest first."""
        ...

    async def set_status(
        self,
        document_id: str,
        status: str,
        *,
        error: str | None = None,
        progress: float | None = None,
        chunk_count: int | None = None,
    ) -> KnowledgeDocument:
        """Record ingestion progress; `error` is always written, the others when given."""
        ...

    async def delete(self, document_id: str) -> bool:
        """Delete with its chunks."""
        ...


class Chunks(Protocol):
    async def add_many(
        self, document_id: str, chunks: Sequence[NewChunk]
    ) -> builtins.list[Chunk]: ...

    async def replace(self, document_id: str, chunks: Sequence[NewChunk]) -> builtins.list[Chunk]:
        """Swap all the document's chunks for these, atomically (a re-index)."""
        ...

    async def list(
        self, document_id: str, *, limit: int = 1000, offset: int = 0
    ) -> builtins.list[Chunk]:
        """By position."""
        ...

    async def search_text(
        self,
        kb_ids: Sequence[str],
        terms: Sequence[str],
        *,
        limit: int,
        filters: MetadataFilters | None = None,
    ) -> builtins.list[ChunkHit]:
        """Chunks holding any of the words `terms` (stemmed), best BM25 score first."""
        ...

    async def search_vector(
        self,
        kb_ids: Sequence[str],
        embedding: Sequence[float],
        *,
        limit: int,
        filters: MetadataFilters | None = None,
    ) -> builtins.list[ChunkHit]:
        """The chunks nearest the embedding, scored by cosine similarity, best first.

        Only chunks whose embedding has the same dimensions take part."""
        ...


class Uploads(Protocol):
    async def add(
        self,
        upload_id: str,
        *,
        name: str,
        size: int,
        extension: str = "",
        mime_type: str = "",
        created_by: str = "",
    ) -> Upload:
        """Record an upload whose bytes are already in place: the caller makes the id
        (`ids.new_id`), keeps the bytes under it, then records them. Raises `Conflict`
        if the id is taken."""
        ...

    async def get(self, upload_id: str) -> Upload | None: ...

    async def list(self, *, limit: int = 50, offset: int = 0) -> builtins.list[Upload]:
        """Newest first."""
        ...

    async def delete(self, upload_id: str) -> bool:
        """Forget the upload (its bytes are the caller's to remove)."""
        ...


class Store(Protocol):
    """Everything Flowstead persists, grouped by intent."""

    @property
    def workflows(self) -> Workflows: ...
    @property
    def runs(self) -> Runs: ...
    @property
    def nodes(self) -> NodeExecutions: ...
    @property
    def events(self) -> RunEvents: ...
    @property
    def jobs(self) -> Jobs: ...
    @property
    def workers(self) -> Workers: ...
    @property
    def conversations(self) -> Conversations: ...
    @property
    def messages(self) -> Messages: ...
    @property
    def feedbacks(self) -> Feedbacks: ...
    @property
    def api_keys(self) -> ApiKeys: ...
    @property
    def admin_tokens(self) -> AdminTokens: ...
    @property
    def providers(self) -> Providers: ...
    @property
    def meta(self) -> Meta: ...
    @property
    def knowledge_bases(self) -> KnowledgeBases: ...
    @property
    def documents(self) -> Documents: ...
    @property
    def chunks(self) -> Chunks: ...
    @property
    def uploads(self) -> Uploads: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Store: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

"""The values the store hands out: immutable records, one per stored thing.

Times are float epoch seconds (UTC); ids are time-ordered UUIDs (v7) as text. JSON-shaped
fields (documents, inputs, outputs, event data…) are plain `dict`s the store does not
interpret.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

JobStatus = Literal["queued", "running", "done", "failed", "dead"]
RetrievalMode = Literal["hybrid", "text", "vector"]


class Workflow(msgspec.Struct, frozen=True, kw_only=True):
    """A workflow's editable draft; `published_version` is the newest published number."""

    id: str
    name: str
    description: str = ""
    document: dict[str, Any]
    mode: str = "workflow"
    trigger: dict[str, Any] | None = None
    published_version: int | None = None
    created_at: float
    updated_at: float


class WorkflowVersion(msgspec.Struct, frozen=True, kw_only=True):
    """An immutable copy of a draft, numbered 1, 2, 3… per workflow."""

    id: str
    workflow_id: str
    number: int
    name: str
    description: str = ""
    document: dict[str, Any]
    mode: str = "workflow"
    trigger: dict[str, Any] | None = None
    created_at: float


class Run(msgspec.Struct, frozen=True, kw_only=True):
    """One execution of a workflow; `version` is None for a run of the draft."""

    id: str
    workflow_id: str
    version: int | None = None
    status: str
    mode: str = "workflow"
    source: str = "api"
    user: str = ""
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None = None
    error: str | None = None
    conversation_id: str | None = None
    parent_run_id: str | None = None
    resumed_from: str | None = None
    job_id: str | None = None
    total_tokens: int = 0
    total_steps: int = 0
    stop_requested: bool = False
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    elapsed: float | None = None


class NodeExecution(msgspec.Struct, frozen=True, kw_only=True):
    """One node's execution in a run; `index` numbers iteration/loop sub-runs (0 otherwise)."""

    id: str
    run_id: str
    node_id: str
    index: int = 0
    node_type: str = ""
    title: str = ""
    status: str
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    tokens: int = 0
    attempt: int = 1


class RunEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a run's append-only event log; `seq` counts 1, 2, 3… per run."""

    run_id: str
    seq: int
    type: str
    data: dict[str, Any]
    created_at: float


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """A unit of background work with a lease; `attempts` counts claims."""

    id: str
    kind: str
    payload: dict[str, Any]
    run_id: str | None = None
    status: JobStatus
    run_at: float
    attempts: int = 0
    max_attempts: int
    worker_id: str | None = None
    lease_until: float | None = None
    error: str | None = None
    created_at: float
    updated_at: float
    finished_at: float | None = None


class WorkerBeat(msgspec.Struct, frozen=True, kw_only=True):
    """The last sign of life of a worker process."""

    worker_id: str
    info: dict[str, Any]
    beat_at: float


class Conversation(msgspec.Struct, frozen=True, kw_only=True):
    """A chat-mode thread; `variables` carry conversation variables between turns."""

    id: str
    workflow_id: str
    user: str
    name: str = ""
    inputs: dict[str, Any]
    variables: dict[str, Any]
    created_at: float
    updated_at: float


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One turn of a conversation: the user's query and the workflow's answer. `files`
    are the turn's `sys.files` (`id` or `url`, `name`, `type`, `mime_type`, `extension`,
    `size`, `transfer_method`), as the run had them."""

    id: str
    conversation_id: str
    run_id: str | None = None
    query: str
    answer: str
    inputs: dict[str, Any]
    files: list[dict[str, Any]] = []
    tokens: int = 0
    created_at: float


class Feedback(msgspec.Struct, frozen=True, kw_only=True):
    """A user's rating of a chat answer (`like` or `dislike`), one per message.

    The message's workflow, conversation, user and run (the id API clients know the message
    by) are kept with it, so a listing needs nothing else."""

    id: str
    message_id: str
    conversation_id: str
    workflow_id: str
    run_id: str | None = None
    user: str
    rating: str
    content: str | None = None
    created_at: float
    updated_at: float


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A per-workflow app key; only its hash and a display prefix are stored."""

    id: str
    workflow_id: str
    name: str = ""
    prefix: str
    created_at: float
    revoked_at: float | None = None


class AdminToken(msgspec.Struct, frozen=True, kw_only=True):
    """An admin API token; only its hash and a display prefix are stored."""

    id: str
    name: str = ""
    prefix: str
    created_at: float
    last_used_at: float | None = None
    revoked_at: float | None = None


class ProviderSettings(msgspec.Struct, frozen=True, kw_only=True):
    """A configured model provider; `secrets` is empty in listings, `secret_names` is not."""

    id: str
    kind: str
    base_url: str | None = None
    options: dict[str, Any]
    secrets: dict[str, str] = {}
    secret_names: list[str] = []
    created_at: float
    updated_at: float


class RetrievalSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How a knowledge base is searched: full-text, vectors, or both fused by rank, where
    `vector_weight` is the vectors' share of the vote (0…1; None: chosen by the model)."""

    mode: RetrievalMode = "hybrid"
    vector_weight: float | None = None


class KnowledgeBase(msgspec.Struct, frozen=True, kw_only=True):
    """A named collection of documents; `embedding_provider` None is the built-in model.

    `separators` (empty: the defaults) split text into chunks of `chunk_size` characters."""

    id: str
    name: str
    description: str = ""
    embedding_provider: str | None = None
    embedding_model: str | None = None
    chunk_size: int = 512
    chunk_overlap: int = 64
    separators: list[str] = []
    retrieval: RetrievalSettings = RetrievalSettings()
    created_at: float
    updated_at: float


class KnowledgeDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A source document of a knowledge base and its ingestion state (`progress` 0…1)."""

    id: str
    kb_id: str
    name: str
    source: str = ""
    content_type: str = ""
    size: int = 0
    status: str = "queued"
    error: str | None = None
    progress: float = 0.0
    chunk_count: int = 0
    metadata: dict[str, Any] = {}
    created_at: float
    updated_at: float


class NewChunk(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk to add; the store assigns its id and owner ids."""

    position: int
    content: str
    metadata: dict[str, Any] = {}
    embedding: list[float] | None = None


class Chunk(msgspec.Struct, frozen=True, kw_only=True):
    """A piece of a document; SQLite keeps `embedding` as float32, so values round to it."""

    id: str
    kb_id: str
    document_id: str
    position: int
    content: str
    metadata: dict[str, Any] = {}
    embedding: list[float] | None = None


class ChunkHit(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk found by a search (without its embedding) and its score: higher is better."""

    chunk: Chunk
    score: float


class Upload(msgspec.Struct, frozen=True, kw_only=True):
    """A file uploaded for runs, its bytes in `<data dir>/uploads/<id>`; `extension` is
    lower case without the dot (`pdf`), as Dify reports it."""

    id: str
    name: str
    size: int
    extension: str = ""
    mime_type: str = ""
    created_by: str = ""
    created_at: float

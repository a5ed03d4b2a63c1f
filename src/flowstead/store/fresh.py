"""New records, made once for both adapters: a time-ordered id, the creation time and the
defaults filled in. An adapter stores what these return and hands the same value back."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from flowstead.store.ids import new_id
from flowstead.store.protocol import RUN_JOB_KIND
from flowstead.store.records import (
    AdminToken,
    ApiKey,
    Chunk,
    Conversation,
    Feedback,
    Job,
    KnowledgeBase,
    KnowledgeDocument,
    Message,
    NewChunk,
    RetrievalSettings,
    Run,
    Upload,
    WorkerBeat,
    Workflow,
)
from flowstead.store.tokens import ADMIN_TOKEN_PREFIX, APP_KEY_PREFIX, display_prefix, new_token


def workflow(
    *,
    name: str,
    document: dict[str, Any],
    description: str,
    mode: str,
    trigger: dict[str, Any] | None,
) -> Workflow:
    now = time.time()
    return Workflow(
        id=new_id(),
        name=name,
        description=description,
        document=document,
        mode=mode,
        trigger=trigger,
        created_at=now,
        updated_at=now,
    )


def job(
    *,
    kind: str,
    payload: dict[str, Any],
    run_at: float | None,
    max_attempts: int,
    run_id: str | None = None,
) -> Job:
    """A queued job, due now when `run_at` is None."""
    now = time.time()
    return Job(
        id=new_id(),
        kind=kind,
        payload=payload,
        run_id=run_id,
        status="queued",
        run_at=now if run_at is None else run_at,
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
    )


def run_and_job(
    *,
    workflow_id: str,
    inputs: dict[str, Any],
    version: int | None,
    user: str,
    conversation_id: str | None,
    source: str,
    mode: str,
    parent_run_id: str | None,
    resumed_from: str | None,
    max_attempts: int,
) -> tuple[Run, Job]:
    """A queued run and the job that will execute it, which point at each other."""
    run_id = new_id()
    run_job = job(
        kind=RUN_JOB_KIND,
        payload={"run_id": run_id},
        run_at=None,
        max_attempts=max_attempts,
        run_id=run_id,
    )
    run = Run(
        id=run_id,
        workflow_id=workflow_id,
        version=version,
        status="queued",
        mode=mode,
        source=source,
        user=user,
        inputs=inputs,
        conversation_id=conversation_id,
        parent_run_id=parent_run_id,
        resumed_from=resumed_from,
        job_id=run_job.id,
        created_at=run_job.created_at,
    )
    return run, run_job


def worker_beat(worker_id: str, info: dict[str, Any] | None) -> WorkerBeat:
    return WorkerBeat(worker_id=worker_id, info=info or {}, beat_at=time.time())


def conversation(
    *,
    workflow_id: str,
    user: str,
    name: str,
    inputs: dict[str, Any] | None,
    variables: dict[str, Any] | None,
) -> Conversation:
    now = time.time()
    return Conversation(
        id=new_id(),
        workflow_id=workflow_id,
        user=user,
        name=name,
        inputs=inputs or {},
        variables=variables or {},
        created_at=now,
        updated_at=now,
    )


def message(
    *,
    conversation_id: str,
    run_id: str | None,
    query: str,
    answer: str,
    inputs: dict[str, Any] | None,
    files: Sequence[dict[str, Any]],
    tokens: int,
) -> Message:
    return Message(
        id=new_id(),
        conversation_id=conversation_id,
        run_id=run_id,
        query=query,
        answer=answer,
        inputs=inputs or {},
        # A field without a value is left out: SurrealDB would drop it anyway.
        files=[{k: v for k, v in f.items() if v is not None} for f in files],
        tokens=tokens,
        created_at=time.time(),
    )


def feedback(
    message: Message, conversation: Conversation, rating: str, content: str | None
) -> Feedback:
    """A first rating of a message, carrying the message's owners."""
    now = time.time()
    return Feedback(
        id=new_id(),
        message_id=message.id,
        conversation_id=conversation.id,
        workflow_id=conversation.workflow_id,
        run_id=message.run_id,
        user=conversation.user,
        rating=rating,
        content=content,
        created_at=now,
        updated_at=now,
    )


def api_key(*, workflow_id: str, name: str) -> tuple[ApiKey, str]:
    """A new app key and its plaintext, which is shown once and stored only as a hash."""
    plaintext = new_token(APP_KEY_PREFIX)
    key = ApiKey(
        id=new_id(),
        workflow_id=workflow_id,
        name=name,
        prefix=display_prefix(plaintext, APP_KEY_PREFIX),
        created_at=time.time(),
    )
    return key, plaintext


def admin_token(*, name: str) -> tuple[AdminToken, str]:
    """A new admin token and its plaintext, which is shown once and stored only as a hash."""
    plaintext = new_token(ADMIN_TOKEN_PREFIX)
    token = AdminToken(
        id=new_id(),
        name=name,
        prefix=display_prefix(plaintext, ADMIN_TOKEN_PREFIX),
        created_at=time.time(),
    )
    return token, plaintext


def knowledge_base(
    *,
    name: str,
    description: str,
    embedding_provider: str | None,
    embedding_model: str | None,
    chunk_size: int,
    chunk_overlap: int,
    separators: Sequence[str],
    retrieval: RetrievalSettings | None,
) -> KnowledgeBase:
    now = time.time()
    return KnowledgeBase(
        id=new_id(),
        name=name,
        description=description,
        embedding_provider=embedding_provider,
        embedding_model=embedding_model,
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=list(separators),
        retrieval=retrieval or RetrievalSettings(),
        created_at=now,
        updated_at=now,
    )


def document(
    *,
    kb_id: str,
    name: str,
    source: str,
    content_type: str,
    size: int,
    metadata: dict[str, Any] | None,
) -> KnowledgeDocument:
    """A document waiting in the queue for ingestion."""
    now = time.time()
    return KnowledgeDocument(
        id=new_id(),
        kb_id=kb_id,
        name=name,
        source=source,
        content_type=content_type,
        size=size,
        metadata=metadata or {},
        created_at=now,
        updated_at=now,
    )


def chunk(chunk_id: str, new: NewChunk, *, kb_id: str, document_id: str) -> Chunk:
    """A chunk of a document. The caller makes its id (`new_id()`): SurrealDB needs it in
    the query that reads which knowledge base the document belongs to."""
    return Chunk(
        id=chunk_id,
        kb_id=kb_id,
        document_id=document_id,
        position=new.position,
        content=new.content,
        metadata=new.metadata,
        embedding=new.embedding,
    )


def upload(
    upload_id: str, *, name: str, size: int, extension: str, mime_type: str, created_by: str
) -> Upload:
    """The record of a file whose bytes the caller has just kept under `upload_id`."""
    return Upload(
        id=upload_id,
        name=name,
        size=size,
        extension=extension,
        mime_type=mime_type,
        created_by=created_by,
        created_at=time.time(),
    )

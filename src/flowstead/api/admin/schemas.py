"""Request and response bodies of the admin API (`/api/*`)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from flowstead.engine.validation import Issue
from flowstead.services.workflows import Draft
from flowstead.store.records import AdminToken, ApiKey, Workflow


class WorkflowCreate(msgspec.Struct, kw_only=True):
    name: str
    description: str = ""
    trigger: Literal["manual"] = "manual"
    mode: Literal["workflow", "chat"] | None = None
    # A Flowstead document; a Start → End skeleton when left out.
    document: dict[str, Any] | None = None


class WorkflowUpdate(msgspec.Struct, kw_only=True):
    document: dict[str, Any]
    name: str | None = None
    description: str | None = None


class WorkflowCopy(msgspec.Struct, kw_only=True):
    name: str | None = None


class WorkflowImport(msgspec.Struct, kw_only=True):
    # The text of a Flowstead YAML or JSON document.
    content: str
    name: str | None = None


class RunStart(msgspec.Struct, kw_only=True):
    """Run a workflow from the admin side: the draft unless a version is named."""

    inputs: dict[str, Any] = {}
    version: int | Literal["published"] | None = None
    user: str = ""
    # Chat mode: the user's message, and the conversation to continue.
    query: str = ""
    conversation_id: str | None = None


class WorkflowSummary(msgspec.Struct, kw_only=True):
    id: str
    name: str
    description: str
    mode: str
    trigger: dict[str, Any] | None
    published_version: int | None
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, workflow: Workflow) -> WorkflowSummary:
        fields = {f: getattr(workflow, f) for f in cls.__struct_fields__}
        return cls(**fields)


class WorkflowDetail(WorkflowSummary, kw_only=True):
    document: dict[str, Any]
    issues: list[Issue]

    @classmethod
    def of_draft(cls, draft: Draft) -> WorkflowDetail:
        summary = msgspec.structs.asdict(WorkflowSummary.of(draft.workflow))
        return cls(**summary, document=draft.workflow.document, issues=draft.issues)


class KeyCreate(msgspec.Struct, kw_only=True):
    name: str = ""


class CreatedApiKey(msgspec.Struct, kw_only=True):
    """A new key; `key` is the plaintext, shown here and never again."""

    id: str
    workflow_id: str
    name: str
    prefix: str
    created_at: float
    key: str

    @classmethod
    def of(cls, record: ApiKey, plaintext: str) -> CreatedApiKey:
        return cls(
            id=record.id,
            workflow_id=record.workflow_id,
            name=record.name,
            prefix=record.prefix,
            created_at=record.created_at,
            key=plaintext,
        )


class CreatedAdminToken(msgspec.Struct, kw_only=True):
    """A new admin token; `token` is the plaintext, shown here and never again."""

    id: str
    name: str
    prefix: str
    created_at: float
    token: str

    @classmethod
    def of(cls, record: AdminToken, plaintext: str) -> CreatedAdminToken:
        return cls(
            id=record.id,
            name=record.name,
            prefix=record.prefix,
            created_at=record.created_at,
            token=plaintext,
        )

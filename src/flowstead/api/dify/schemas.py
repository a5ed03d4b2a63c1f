"""Request bodies of Dify's Service API, as Dify clients send them (unknown fields ignored)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

User = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
ResponseMode = Literal["blocking", "streaming"]


class WorkflowRunRequest(msgspec.Struct, kw_only=True):
    user: User
    inputs: dict[str, Any] = {}
    response_mode: ResponseMode = "blocking"
    files: list[dict[str, Any]] = []


class ChatRequest(msgspec.Struct, kw_only=True):
    user: User
    query: Annotated[str, msgspec.Meta(min_length=1)]
    inputs: dict[str, Any] = {}
    conversation_id: str | None = None
    response_mode: ResponseMode = "blocking"
    files: list[dict[str, Any]] = []
    auto_generate_name: bool = True


class StopRequest(msgspec.Struct, kw_only=True):
    user: User


class RenameRequest(msgspec.Struct, kw_only=True):
    user: User
    name: str = ""
    # Dify names the conversation from its first message when asked to.
    auto_generate: bool = False


class FeedbackRequest(msgspec.Struct, kw_only=True):
    user: User
    # null (or left out) revokes the user's rating, as in Dify.
    rating: Literal["like", "dislike"] | None = None
    content: str | None = None


class VariableUpdateRequest(msgspec.Struct, kw_only=True):
    user: User
    value: Any

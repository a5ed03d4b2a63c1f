"""The variables a run starts with: `sys.*`, `env.*` and `conversation.*`.

Node outputs join this namespace by node id as nodes finish; container bodies see it
through a `ChainMap` whose first map holds the body's own values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowstead.dsl.document import Document
from flowstead.engine.node import RunInfo
from flowstead.engine.ports import ChatMessage

_ZERO: dict[str, Any] = {"string": "", "number": 0, "boolean": False}


def zero_value(var_type: str) -> Any:
    """The empty value of a declared variable type (`clear` resets to it)."""
    if var_type.startswith("array"):
        return []
    if var_type == "object":
        return {}
    return _ZERO.get(var_type)


def initial(
    document: Document,
    info: RunInfo,
    *,
    env: Mapping[str, Any],
    conversation: Mapping[str, Any],
    history: Sequence[ChatMessage],
    files: Sequence[Mapping[str, Any]],
    query: str,
    timestamp: float,
) -> dict[str, Any]:
    """The namespace before any node runs."""
    conversation_values = {
        var.name: zero_value(var.type) if var.default is None else var.default
        for var in document.conversation_variables
    }
    conversation_values.update(conversation)
    return {
        "sys": {
            "query": query,
            "user": info.user,
            "conversation_id": info.conversation_id,
            "run_id": info.run_id,
            "workflow_id": info.workflow_id,
            "files": list(files),
            "dialogue_count": sum(1 for m in history if m.role == "user") + 1,
            "timestamp": int(timestamp),
        },
        "env": {**{var.name: var.value for var in document.environment}, **env},
        "conversation": conversation_values,
    }

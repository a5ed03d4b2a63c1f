"""Request-building pieces more than one adapter uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from flowstead.engine.ports import ToolSpec


def bearer(key: str | None) -> dict[str, str]:
    """`Authorization: Bearer` when a key is configured, nothing otherwise."""
    return {"Authorization": f"Bearer {key}"} if key else {}


def function_tools(tools: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    """Tools in the OpenAI `{"type": "function", ...}` shape (Ollama uses it too)."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def arguments_object(arguments: str) -> dict[str, Any]:
    """Tool-call arguments as the JSON object Ollama and Anthropic expect.

    A model that wrote invalid JSON gets `{}` back rather than failing the whole request."""
    try:
        value = msgspec.json.decode(arguments or "{}")
    except msgspec.DecodeError:
        return {}
    return value if isinstance(value, dict) else {}

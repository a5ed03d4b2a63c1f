"""LLM: a chat completion with templated messages, memory, streaming and structured output."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import ModelRef, not_implemented


class Message(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["system", "user", "assistant"]
    text: str


class Memory(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Chat mode: include the last `window` turns of the conversation."""

    window: int = 10


class LLMConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    system: str = ""
    messages: list[Message] = []
    memory: Memory | None = None
    # A selector whose value is added as context (e.g. knowledge retrieval results).
    context: str | None = None
    json_schema: dict[str, Any] | None = None
    # `separated`: <think>…</think> goes to `reasoning`; `tagged`: left in `text`.
    reasoning_format: Literal["separated", "tagged"] = "separated"


def _outputs(c: LLMConfig) -> dict[str, str]:
    outputs = {"text": "string", "reasoning": "string", "usage": "object"}
    if c.json_schema is not None:
        outputs["structured_output"] = "object"
    return outputs


SPEC = NodeSpec(
    type="llm",
    label="LLM",
    config=LLMConfig,
    run=not_implemented,
    outputs=_outputs,
    category="ai",
)

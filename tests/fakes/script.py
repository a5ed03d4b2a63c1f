"""What a fake model server answers: scripted replies, injected faults, the default rule."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.base import RecordedRequest


@dataclass(frozen=True)
class FakeToolCall:
    """A tool call the fake model makes; `id` defaults to one derived from its position."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Cut:
    """Stop after `after` stream frames: drop the connection mid-body, or with `clean`, end
    the body properly (a stream that just lacks its last events)."""

    after: int = 2
    clean: bool = False


@dataclass(frozen=True)
class Malformed:
    """Send a frame of broken JSON after `after` stream frames."""

    after: int = 2


@dataclass(frozen=True)
class Hang:
    """Send nothing for `seconds` after `after` frames (0: before the response headers)."""

    seconds: float = 10.0
    after: int = 0


StreamFault = Cut | Malformed | Hang


@dataclass(frozen=True)
class Reply:
    """One scripted answer. A string is streamed a word per chunk; a list, a chunk per item.

    `finish_reason` is sent as-is in the wire's own vocabulary (default: stop / end_turn,
    or tool_calls / tool_use when there are tool calls). Token counts default to the
    words in the request and the number of chunks."""

    text: str | Sequence[str] = ""
    reasoning: str | Sequence[str] = ""
    tool_calls: Sequence[FakeToolCall] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    fault: StreamFault | None = None

    def text_chunks(self) -> list[str]:
        return _chunks(self.text)

    def reasoning_chunks(self) -> list[str]:
        return _chunks(self.reasoning)

    def usage(self, request: RecordedRequest) -> tuple[int, int]:
        """(prompt tokens, completion tokens) to report."""
        prompt = self.prompt_tokens
        if prompt is None:
            prompt = _count_words(request.json)
        completion = self.completion_tokens
        if completion is None:
            completion = (
                len(self.text_chunks()) + len(self.reasoning_chunks()) + len(self.tool_calls)
            )
        return prompt, completion


@dataclass(frozen=True)
class ErrorStatus:
    """Answer with an HTTP error in the wire's error format, e.g. 429 with Retry-After."""

    status: int = 500
    message: str = "the fake server failed on purpose"
    retry_after: float | None = None


Answer = Reply | ErrorStatus
Rule = Callable[[RecordedRequest], Answer]


def echo(request: RecordedRequest) -> Reply:
    """The default rule: a short reply quoting the last user message, in several chunks."""
    said = last_user_text(request.json) or "nothing"
    return Reply(text=f"Hello from the fake model. You said: {said}")


def last_user_text(body: Any) -> str:
    """The text of the last user message in an OpenAI, Ollama or Anthropic request body."""
    if not isinstance(body, dict):
        return ""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return ""


def _count_words(body: Any) -> int:
    if not isinstance(body, dict):
        return 0
    texts = [_text_of(m.get("content")) for m in body.get("messages") or [] if isinstance(m, dict)]
    texts.append(_text_of(body.get("system")))
    return sum(len(text.split()) for text in texts)


def _chunks(value: str | Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return re.findall(r"\s*\S+\s*", value)
    return list(value)

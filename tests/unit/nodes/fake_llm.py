"""An in-process `LLM` for node unit tests: scripted replies, recorded requests.

Each call to `stream` takes the next scripted reply: a list of chunks, an `LLMError` to
raise at once, or a `Broken` reply that streams some chunks and then raises. `log`
records every chunk as it is handed out, so a test can check what the node did between
two chunks (for example, that each one was streamed before the next arrived).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from flowstead.engine.ports import ChatChunk, ChatRequest, LLMError, ToolCall, Usage


@dataclass(frozen=True)
class Broken:
    """Streams `chunks`, then raises `error` (a connection lost mid-answer)."""

    chunks: Sequence[ChatChunk]
    error: LLMError


def reply(
    *texts: str,
    reasoning: Sequence[str] = (),
    tool_calls: Sequence[ToolCall] = (),
    usage: Usage | None = None,
    finish_reason: str = "stop",
) -> list[ChatChunk]:
    """A reply streamed as the given pieces: reasoning first, then text, then a last chunk
    carrying tool calls, usage and the finish reason (as providers send them)."""
    chunks = [ChatChunk(reasoning=piece) for piece in reasoning]
    chunks += [ChatChunk(text=piece) for piece in texts]
    chunks.append(ChatChunk(tool_calls=tuple(tool_calls), usage=usage, finish_reason=finish_reason))
    return chunks


def error(message: str = "server said no", *, status: int | None = 500) -> LLMError:
    return LLMError("fake", "fake-model", message, status=status)


class FakeLLM:
    """Implements the `LLM` port from a script of replies."""

    def __init__(self, *replies: Sequence[ChatChunk] | LLMError | Broken) -> None:
        self._replies = deque(replies)
        self.requests: list[ChatRequest] = []
        self.log: list[tuple[str, str]] = []

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        self.requests.append(request)
        if not self._replies:
            raise AssertionError(f"no reply scripted for request {len(self.requests)}")
        scripted = self._replies.popleft()
        if isinstance(scripted, LLMError):
            raise scripted
        chunks = scripted.chunks if isinstance(scripted, Broken) else scripted
        for chunk in chunks:
            self.log.append(("chunk", chunk.text))
            yield chunk
        if isinstance(scripted, Broken):
            raise scripted.error

    @property
    def unused(self) -> int:
        """How many scripted replies were never asked for."""
        return len(self._replies)

"""The collaborators the engine needs, typed as Protocols, and the values they exchange.

The engine defines these ports; `providers/`, `knowledge/` and `services/` adapt real
systems to them, and tests hand in small fakes or real loopback servers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Literal, Protocol

import msgspec

Role = Literal["system", "user", "assistant", "tool"]


class ToolCall(msgspec.Struct, frozen=True):
    """A function call the model asked for; `arguments` is the raw JSON text."""

    id: str
    name: str
    arguments: str


class ChatMessage(msgspec.Struct, frozen=True):
    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


class ToolSpec(msgspec.Struct, frozen=True):
    """A function the model may call, described by a JSON Schema for its parameters."""

    name: str
    description: str
    parameters: dict[str, Any]


class ChatRequest(msgspec.Struct, frozen=True):
    """One chat completion request, provider-neutral.

    `provider` names a configured provider (its id in the settings), `model` the model
    there. `json_schema`, when set, asks for structured output (providers that support a
    native response format use it; the LLM node validates either way).
    """

    provider: str
    model: str
    messages: tuple[ChatMessage, ...]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None
    json_schema: dict[str, Any] | None = None
    extra: dict[str, Any] = {}


class Usage(msgspec.Struct, frozen=True):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatChunk(msgspec.Struct, frozen=True):
    """One streamed piece of a completion. Every field is optional; the last chunk of a
    stream carries `finish_reason` and, where the provider reports it, `usage`.
    Tool calls arrive whole (providers assemble streamed argument fragments)."""

    text: str = ""
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None
    finish_reason: str | None = None


class LLMError(Exception):
    """A provider failed after its retries: says which provider, which model, and what.

    Raised by provider adapters; nodes turn it into a failed node result (a value)."""

    def __init__(self, provider: str, model: str, message: str, *, status: int | None = None):
        super().__init__(f"{provider} ({model}): {message}")
        self.provider = provider
        self.model = model
        self.status = status


class LLM(Protocol):
    """Routes a request to the provider it names and streams the answer."""

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]: ...


class HttpResponse(msgspec.Struct, frozen=True):
    status: int
    headers: dict[str, str]
    body: bytes


class HttpRequest(msgspec.Struct, frozen=True):
    method: str
    url: str
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    content: bytes | None = None
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_response_bytes: int = 10 * 1024 * 1024


class HttpClient(Protocol):
    """Sends one HTTP request. Raises `HttpError` for transport failures and for a response
    larger than `max_response_bytes`; any status code is a normal response."""

    async def send(self, request: HttpRequest) -> HttpResponse: ...


class HttpError(Exception):
    pass


class CodeLimits(msgspec.Struct, frozen=True):
    cpu_seconds: float = 10.0
    wall_seconds: float = 15.0
    memory_bytes: int = 256 * 1024 * 1024
    max_output_bytes: int = 1024 * 1024


class CodeResult(msgspec.Struct, frozen=True):
    """What a sandboxed `main(**inputs)` returned, or why it did not."""

    ok: bool
    value: Any = None
    error: str | None = None
    stdout: str = ""


class CodeRunner(Protocol):
    async def run(
        self, language: str, source: str, inputs: Mapping[str, Any], limits: CodeLimits
    ) -> CodeResult: ...


class RetrievedChunk(msgspec.Struct, frozen=True):
    content: str
    score: float
    knowledge_base: str
    document: str
    chunk_id: str
    metadata: dict[str, Any] = {}


RetrievalMode = Literal["hybrid", "text", "vector"]
"""`hybrid`: each knowledge base as it is set up (full-text and vectors fused, unless it is
set to one method); `text` or `vector`: that method alone."""


class Retriever(Protocol):
    async def retrieve(
        self,
        knowledge_bases: Sequence[str],
        query: str,
        *,
        top_k: int,
        score_threshold: float | None,
        filters: Mapping[str, Any] | None = None,
        mode: RetrievalMode = "hybrid",
    ) -> list[RetrievedChunk]: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall time, for timestamps)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic clock (for elapsed times and limits)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


# Media types that say no more than "some bytes".
GENERIC_MEDIA_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


class FileContent(msgspec.Struct, frozen=True):
    """A file's bytes and the media type their source gave them: a remote file's
    Content-Type as it was served (a charset kept), "" when the source said nothing."""

    data: bytes
    media_type: str = ""

    def type_for(self, file: Mapping[str, Any]) -> str:
        """The file's media type: the value's own `mime_type`, unless it is missing or
        says only "bytes" (a URL without an extension), then the one served; "" if none."""
        given = str(file.get("mime_type") or "")
        if given.split(";")[0].strip().lower() not in GENERIC_MEDIA_TYPES:
            return given
        return self.media_type or given


class Files(Protocol):
    """Reads the bytes of a file value.

    A file value is a mapping like Dify's: `{"name", "mime_type", "size"}` plus where the
    bytes are, `"id"` (an upload kept under the data dir) or `"url"` (a remote file)."""

    async def read(self, file: Mapping[str, Any]) -> FileContent: ...

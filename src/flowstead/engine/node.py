"""What every node type provides (`NodeSpec`), what a node returns (`NodeResult`) and what
it may use while it runs (`NodeContext`).

A node's `run` never raises for an expected failure (a bad HTTP status, a model error, a
template that reads a missing value): it returns `NodeResult.fail(...)`. Exceptions are
for programmer errors; the engine reports them as failures too, but they are bugs.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

import msgspec

from flowstead.engine.ports import (
    LLM,
    ChatMessage,
    Clock,
    CodeRunner,
    Files,
    HttpClient,
    Retriever,
    Usage,
)
from flowstead.engine.tools.base import ToolSettings

if TYPE_CHECKING:
    from flowstead.dsl.document import Node

DEFAULT_HANDLE = "source"
FAIL_BRANCH = "fail-branch"


class NodeResult(msgspec.Struct):
    status: Literal["succeeded", "failed"]
    outputs: dict[str, Any] = {}
    # The resolved inputs the node worked on, shown in the run detail.
    inputs: dict[str, Any] = {}
    # Intermediate data worth showing (the prompt sent, the request made).
    process_data: dict[str, Any] = {}
    error: str | None = None
    # The branch taken, for branch nodes; None follows the default handle.
    handle: str | None = None
    usage: Usage | None = None

    @classmethod
    def ok(cls, outputs: dict[str, Any], **kwargs: Any) -> NodeResult:
        return cls("succeeded", outputs=outputs, **kwargs)

    @classmethod
    def fail(cls, error: str, **kwargs: Any) -> NodeResult:
        return cls("failed", error=error, **kwargs)


class RunInfo(msgspec.Struct, frozen=True):
    run_id: str
    workflow_id: str
    mode: Literal["workflow", "chat"] = "workflow"
    user: str = ""
    conversation_id: str | None = None


class Tools(Protocol):
    """Built-in tools by name (see `engine/tools/`)."""

    def names(self) -> list[str]: ...


class NodeContext(Protocol):
    """What a running node may use. Built by the engine for each node execution."""

    node: Node
    run: RunInfo
    llm: LLM
    http: HttpClient
    code: CodeRunner
    retriever: Retriever
    files: Files
    clock: Clock
    # Where built-in tools find the services they call (SearXNG, Wikipedia).
    tool_settings: ToolSettings
    # Earlier turns of the conversation (chat mode), oldest first.
    history: list[ChatMessage]

    def render(self, template: str) -> str:
        """Render a sandboxed Jinja2 template over the variables visible to this node.
        Raises `TemplateError` (a node turns it into a failed result)."""
        ...

    def resolve(self, selector: str) -> Any:
        """The value at a selector such as `llm.text`; raises `selectors.Missing`."""
        ...

    async def stream_text(self, text: str) -> None:
        """Emit a piece of this node's streamed text (a `text_chunk` event)."""
        ...

    def assign(self, selector: str, value: Any) -> None:
        """Write a conversation variable (`conversation.x`) or a loop variable
        (`<loop_id>.x`); raises `selectors.Missing` for anything else."""
        ...


C = TypeVar("C", bound=msgspec.Struct)
RunFn = Callable[[Any, NodeContext], Awaitable[NodeResult]]


@dataclass(frozen=True)
class NodeSpec(Generic[C]):
    """One node type: its config model, executor, and what it offers its neighbours."""

    type: str
    label: str
    config: builtins.type[C]
    run: RunFn
    # The outputs this node produces given its config: name -> variable type.
    outputs: Callable[[C], Mapping[str, str]]
    # The named source handles edges may leave from; () means only the default one.
    handles: Callable[[C], tuple[str, ...]] = lambda _config: ()
    category: str = "logic"
    # Containers (iteration, loop) hold child nodes whose `parent` is the container.
    container: bool = False

"""The `NodeContext` the engine gives each node execution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flowstead.dsl.document import Node
from flowstead.engine import selectors, templates
from flowstead.engine.container import Body
from flowstead.engine.events import Event

if TYPE_CHECKING:
    from flowstead.engine.graph import CompiledNode
    from flowstead.engine.walk import Walk


class RunContext:
    __slots__ = (
        "_walk",
        "assigned",
        "clock",
        "code",
        "files",
        "history",
        "http",
        "llm",
        "node",
        "retriever",
        "run",
        "tool_settings",
    )

    def __init__(self, walk: Walk, node: Node):
        run = walk.run
        collaborators = run.collaborators
        self._walk = walk
        self.node = node
        self.run = run.info
        self.llm = collaborators.llm
        self.http = collaborators.http
        self.code = collaborators.code
        self.retriever = collaborators.retriever
        self.files = collaborators.files
        self.clock = collaborators.clock
        self.tool_settings = collaborators.tool_settings
        self.history = run.history
        self.assigned: dict[str, Any] = {}

    def render(self, template: str) -> str:
        return templates.render(template, self._walk.namespace)

    def resolve(self, selector: str) -> Any:
        return selectors.lookup(self._walk.namespace, selector)

    async def stream_text(self, text: str) -> None:
        self._walk.stream_text(self.node.id, text)

    def assign(self, selector: str, value: Any) -> None:
        self._walk.assign(selector, value)
        self.assigned[selector] = value


class ContainerRunContext(RunContext):
    """The context of an iteration or loop node."""

    __slots__ = ("_container",)

    def __init__(self, walk: Walk, cnode: CompiledNode):
        super().__init__(walk, cnode.node)
        self._container = cnode

    def emit(self, event: Event) -> None:
        self._walk.run.emit(event)

    async def run_body(self, index: int, values: dict[str, Any]) -> Body:
        return await self._walk.run_body(self._container, index, values)

    def view(self, values: dict[str, Any]) -> Mapping[str, Any]:
        return self._walk.child_namespace(self.node.id, values)

"""A NodeContext for testing one node on its own: a namespace of values and whatever
collaborators the test hands in. Whole-graph behaviour is tested through the engine."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flowstead.dsl.document import Node
from flowstead.engine import selectors, templates
from flowstead.engine.node import RunInfo
from flowstead.engine.ports import ChatMessage
from flowstead.engine.tools import ToolSettings


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)


class Unavailable:
    """Stands in for a collaborator the node under test must not touch."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"this node should not use {name}")


@dataclass
class TestContext:
    node: Node
    values: dict[str, Any] = field(default_factory=dict)
    run: RunInfo = field(default_factory=lambda: RunInfo(run_id="run-1", workflow_id="wf-1"))
    llm: Any = field(default_factory=Unavailable)
    http: Any = field(default_factory=Unavailable)
    code: Any = field(default_factory=Unavailable)
    retriever: Any = field(default_factory=Unavailable)
    files: Any = field(default_factory=Unavailable)
    clock: Any = field(default_factory=SystemClock)
    tool_settings: ToolSettings = field(default_factory=ToolSettings)
    history: list[ChatMessage] = field(default_factory=list)
    streamed: list[str] = field(default_factory=list)
    assigned: dict[str, Any] = field(default_factory=dict)

    __test__ = False  # not a pytest test class

    def render(self, template: str) -> str:
        return templates.render(template, self.values)

    def resolve(self, selector: str) -> Any:
        return selectors.lookup(self.values, selector)

    async def stream_text(self, text: str) -> None:
        self.streamed.append(text)

    def assign(self, selector: str, value: Any) -> None:
        root, _, name = selector.partition(".")
        if root != "conversation" or not name:
            raise selectors.Missing(f"cannot assign `{selector}`")
        self.values.setdefault("conversation", {})[name] = value
        self.assigned[selector] = value


def make_node(node_type: str, config: dict[str, Any], node_id: str = "n") -> Node:
    return Node(id=node_id, type=node_type, config=config)

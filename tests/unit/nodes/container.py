"""A container context for testing iteration and loop nodes on their own: the body is a
function the test writes, standing in for the child nodes."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowstead.engine.container import Body
from flowstead.engine.events import Event

from .context import TestContext

BodyFn = Callable[[int, dict[str, Any]], Awaitable[tuple[str | None, dict[str, Any]]]]


@dataclass
class ContainerTestContext(TestContext):
    body: BodyFn | None = None
    events: list[Event] = field(default_factory=list)

    __test__ = False

    def emit(self, event: Event) -> None:
        self.events.append(event)

    async def run_body(self, index: int, values: dict[str, Any]) -> Body:
        assert self.body is not None
        failure, outputs = await self.body(index, values)
        return Body(failure, ChainMap(outputs, self.view(values)))

    def view(self, values: dict[str, Any]) -> Mapping[str, Any]:
        return ChainMap({self.node.id: values}, self.values)

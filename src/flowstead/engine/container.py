"""What iteration and loop nodes may do beyond other nodes: run their body of child nodes.

The engine hands container nodes a context that also satisfies `ContainerContext`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import msgspec

from flowstead.engine.events import Event
from flowstead.engine.node import NodeContext


class Body(msgspec.Struct, frozen=True):
    """One run of a container's body: why it failed (None if it did not), and the
    values it left (the children's outputs over everything visible outside)."""

    failure: str | None
    namespace: Mapping[str, Any]


class ContainerContext(NodeContext, Protocol):
    def emit(self, event: Event) -> None:
        """Emit a container event (iteration_next, loop_started…)."""
        ...

    async def run_body(self, index: int, values: dict[str, Any]) -> Body:
        """Run the children once; they see `values` as `<container_id>.*`. A loop passes
        the same dict every round: children write loop variables into it."""
        ...

    def view(self, values: dict[str, Any]) -> Mapping[str, Any]:
        """The namespace as the children see it, before any of them ran."""
        ...


def container_context(ctx: NodeContext) -> ContainerContext:
    if not hasattr(ctx, "run_body"):
        raise TypeError(f"node {ctx.node.id} is a container but its context cannot run a body")
    return ctx  # type: ignore[return-value]

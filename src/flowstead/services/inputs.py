"""A run's inputs: checked before the run is stored, and the `sys.` values stored with them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from flowstead.dsl.document import Node
from flowstead.engine.engine import CompiledWorkflow
from flowstead.engine.node import NodeContext

# What a run needs besides its Start inputs travels in its stored inputs under `sys.` keys,
# as in Dify's run records; Start input names are identifiers, so these never collide.
SYS_QUERY = "sys.query"
SYS_FILES = "sys.files"
# A rerun: {"node_id": where to start again, "edits": {selector: value} over reused outputs}.
SYS_RERUN = "sys.rerun"


class InvalidInputs(ValueError):
    """The inputs do not fit the Start node; the message names the input and the problem."""


class _Given:
    """The part of a node context the Start node reads: the raw inputs, under its own id."""

    def __init__(self, node: Node, given: dict[str, Any]) -> None:
        self.node = node
        self._given = given

    def resolve(self, selector: str) -> Any:
        return self._given


async def check_inputs(workflow: CompiledWorkflow, given: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs as the Start node types them (its own checks, run before the run is
    stored, so a bad input is refused at once). Raises `InvalidInputs`."""
    values: dict[str, Any] = {}
    for entry in workflow.root.entries:
        start = workflow.root.nodes[entry]
        context = cast(NodeContext, _Given(start.node, dict(given)))
        result = await start.spec.run(start.config, context)
        if result.status == "failed":
            raise InvalidInputs(result.error or "invalid inputs")
        values.update(result.outputs)
    return values


def split_system(stored: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run's stored inputs as (Start inputs, `sys.` values without the prefix)."""
    inputs = {k: v for k, v in stored.items() if not k.startswith("sys.")}
    system = {k.removeprefix("sys."): v for k, v in stored.items() if k.startswith("sys.")}
    return inputs, system

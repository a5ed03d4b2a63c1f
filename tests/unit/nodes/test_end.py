"""The End node collects the run's outputs."""

from __future__ import annotations

from flowstead.engine.nodes._common import Mapping_
from flowstead.engine.nodes.end import SPEC, EndConfig

from .context import TestContext, make_node


async def test_outputs_keep_their_types_and_missing_values_are_none() -> None:
    config = EndConfig(
        outputs=[
            Mapping_("text", "llm.text"),
            Mapping_("items", "list.result"),
            Mapping_("gone", "skipped.x"),
        ]
    )
    ctx = TestContext(make_node("end", {}), values={"llm": {"text": "hi"}, "list": {"result": [1]}})

    result = await SPEC.run(config, ctx)

    assert result.status == "succeeded"
    assert result.outputs == {"text": "hi", "items": [1], "gone": None}

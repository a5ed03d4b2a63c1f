"""The aggregator picks the first value that exists (the branch that ran)."""

from __future__ import annotations

from flowstead.engine.nodes.variable_aggregator import SPEC, Group, VariableAggregatorConfig

from .context import TestContext, make_node

VALUES = {"b": {"text": "from b", "empty": "", "none": None}, "c": {"text": "from c"}}


async def test_the_first_existing_value_wins() -> None:
    config = VariableAggregatorConfig(variables=["a.text", "b.none", "b.text", "c.text"])
    result = await SPEC.run(config, TestContext(make_node("variable_aggregator", {}), VALUES))
    assert result.outputs == {"output": "from b"}


async def test_an_empty_string_is_a_value() -> None:
    config = VariableAggregatorConfig(variables=["b.empty", "c.text"])
    result = await SPEC.run(config, TestContext(make_node("variable_aggregator", {}), VALUES))
    assert result.outputs == {"output": ""}


async def test_nothing_found_gives_none() -> None:
    config = VariableAggregatorConfig(variables=["a.text", "b.none"])
    result = await SPEC.run(config, TestContext(make_node("variable_aggregator", {}), VALUES))
    assert (result.status, result.outputs) == ("succeeded", {"output": None})


async def test_groups_aggregate_on_their_own() -> None:
    config = VariableAggregatorConfig(
        groups=[Group("first", ["a.text", "c.text"]), Group("second", ["b.text"])]
    )
    result = await SPEC.run(config, TestContext(make_node("variable_aggregator", {}), VALUES))
    assert result.outputs == {"first": {"output": "from c"}, "second": {"output": "from b"}}

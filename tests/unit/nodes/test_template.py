"""The Template node renders sandboxed Jinja2."""

from __future__ import annotations

from flowstead.engine.nodes.template import SPEC, TemplateConfig

from .context import TestContext, make_node


def ctx() -> TestContext:
    return TestContext(make_node("template", {}), values={"start": {"names": ["ada", "bo"]}})


async def test_renders_over_upstream_values() -> None:
    config = TemplateConfig(template="{% for n in start.names %}{{ n | upper }} {% endfor %}")
    result = await SPEC.run(config, ctx())
    assert result.outputs == {"output": "ADA BO "}


async def test_output_longer_than_the_cap_fails() -> None:
    result = await SPEC.run(TemplateConfig(template="{{ 'x' * 20 }}", max_length=10), ctx())
    assert result.status == "failed"
    assert result.error == "the output is 20 characters, more than the limit of 10"


async def test_a_missing_value_fails() -> None:
    result = await SPEC.run(TemplateConfig(template="{{ nothing.here }}"), ctx())
    assert result.status == "failed"
    assert (result.error or "").startswith("template failed")


async def test_the_sandbox_refuses_unsafe_access() -> None:
    config = TemplateConfig(template="{{ start.names.__class__.__mro__ }}")
    result = await SPEC.run(config, ctx())
    assert result.status == "failed"

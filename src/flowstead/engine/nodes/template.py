"""Template: render sandboxed Jinja2 over upstream values."""

from __future__ import annotations

import msgspec

from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.templates import TemplateError


class TemplateConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    template: str = ""
    max_length: int = 400_000


async def run(config: TemplateConfig, ctx: NodeContext) -> NodeResult:
    try:
        output = ctx.render(config.template)
    except TemplateError as exc:
        return NodeResult.fail(str(exc))
    if len(output) > config.max_length:
        return NodeResult.fail(
            f"the output is {len(output)} characters, more than the limit of {config.max_length}"
        )
    return NodeResult.ok({"output": output})


SPEC: NodeSpec[TemplateConfig] = NodeSpec(
    type="template",
    label="Template",
    config=TemplateConfig,
    run=run,
    outputs=lambda c: {"output": "string"},
    category="transform",
)

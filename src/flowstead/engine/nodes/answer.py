"""Answer: streams a templated reply (chat mode) as soon as its inputs are available.

The engine streams the parts it can know early (see `engine/streaming.py`); the text
given to `stream_text` here completes the stream."""

from __future__ import annotations

import msgspec

from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.templates import TemplateError


class AnswerConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    text: str = ""


async def run(config: AnswerConfig, ctx: NodeContext) -> NodeResult:
    try:
        text = ctx.render(config.text)
    except TemplateError as exc:
        return NodeResult.fail(str(exc))
    await ctx.stream_text(text)
    return NodeResult.ok({"answer": text})


SPEC: NodeSpec[AnswerConfig] = NodeSpec(
    type="answer",
    label="Answer",
    config=AnswerConfig,
    run=run,
    outputs=lambda c: {"answer": "string"},
    category="io",
)

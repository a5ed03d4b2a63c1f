"""The Answer node renders its text and streams it."""

from __future__ import annotations

from flowstead.engine.nodes.answer import SPEC, AnswerConfig

from .context import TestContext, make_node


async def test_the_rendered_text_is_streamed_and_output() -> None:
    ctx = TestContext(make_node("answer", {}), values={"llm": {"text": "there"}})

    result = await SPEC.run(AnswerConfig(text="Hello {{ llm.text }}!"), ctx)

    assert result.outputs == {"answer": "Hello there!"}
    assert ctx.streamed == ["Hello there!"]


async def test_a_template_that_reads_a_missing_value_fails() -> None:
    ctx = TestContext(make_node("answer", {}))

    result = await SPEC.run(AnswerConfig(text="{{ llm.text }}"), ctx)

    assert result.status == "failed"
    assert "llm" in (result.error or "")
    assert ctx.streamed == []

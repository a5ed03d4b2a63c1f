from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import llm
from flowstead.engine.ports import ChatMessage, ChatRequest, Usage

from .context import TestContext, make_node
from .fake_llm import Broken, FakeLLM, error, reply

MODEL = {"provider": "local", "name": "qwen3", "temperature": 0.2, "max_tokens": 256}


@dataclass
class TracingContext(TestContext):
    """Records streamed text in the fake model's log, between the chunks it handed out."""

    async def stream_text(self, text: str) -> None:
        self.llm.log.append(("stream", text))
        await super().stream_text(text)


async def run(
    config: dict[str, Any], fake: FakeLLM, **ctx: Any
) -> tuple[NodeResult, TracingContext]:
    context = TracingContext(node=make_node("llm", config), llm=fake, **ctx)
    result = await llm.run(msgspec.convert(config, llm.LLMConfig), context)
    return result, context


def sent(request: ChatRequest) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in request.messages]


def config(**extra: Any) -> dict[str, Any]:
    return {
        "model": MODEL,
        "system": "You are {{ start.persona }}.",
        "messages": [{"role": "user", "text": "{{ start.question }}"}],
        **extra,
    }


VALUES = {"start": {"persona": "terse", "question": "Why is the sky blue?"}}


async def test_sends_rendered_messages_and_returns_the_answer() -> None:
    fake = FakeLLM(reply("Rayleigh", " scattering.", usage=Usage(12, 3)))
    result, _ = await run(config(), fake, values=VALUES)

    assert result.status == "succeeded", result.error
    (request,) = fake.requests
    assert (request.provider, request.model) == ("local", "qwen3")
    assert (request.temperature, request.max_tokens) == (0.2, 256)
    assert sent(request) == [("system", "You are terse."), ("user", "Why is the sky blue?")]
    assert request.json_schema is None
    assert result.outputs == {
        "text": "Rayleigh scattering.",
        "reasoning": "",
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
        "finish_reason": "stop",
    }
    assert result.usage == Usage(12, 3)
    assert result.process_data["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Why is the sky blue?"},
    ]


async def test_each_delta_is_streamed_before_the_next_arrives() -> None:
    fake = FakeLLM(reply("The", " sky", " is", " blue."))
    result, ctx = await run(config(), fake, values=VALUES)

    assert ctx.streamed == ["The", " sky", " is", " blue."]
    assert fake.log[:8] == [
        ("chunk", "The"), ("stream", "The"),
        ("chunk", " sky"), ("stream", " sky"),
        ("chunk", " is"), ("stream", " is"),
        ("chunk", " blue."), ("stream", " blue."),
    ]  # fmt: skip
    assert result.outputs["text"] == "The sky is blue."


async def test_an_empty_system_prompt_sends_no_system_message() -> None:
    fake = FakeLLM(reply("ok"))
    await run(config(system=""), fake, values=VALUES)
    assert sent(fake.requests[0]) == [("user", "Why is the sky blue?")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"system": "{{ start.missing }}"}, "system"),
        ({"messages": [{"role": "user", "text": "{{ nowhere.x }}"}]}, "messages[0] (user)"),
        ({"messages": [{"role": "user", "text": "{% if %}"}]}, "messages[0] (user)"),
    ],
)
async def test_a_template_error_fails_naming_the_field(change: dict[str, Any], field: str) -> None:
    fake = FakeLLM()
    result, _ = await run(config(**change), fake, values=VALUES)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(f"{field}: template")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"name": "qwen3"}, "no model configured: model.provider is not set"),
        ({"provider": "local"}, "no model configured: model.name is not set"),
        ({}, "no model configured: model.provider and model.name are not set"),
    ],
)
async def test_a_missing_provider_or_model_fails(model: dict[str, Any], message: str) -> None:
    fake = FakeLLM()
    result, _ = await run(config(model=model), fake, values=VALUES)
    assert (result.status, result.error) == ("failed", message)
    assert fake.requests == []


async def test_a_provider_error_fails_with_its_message() -> None:
    fake = FakeLLM(error("model not found", status=404))
    result, ctx = await run(config(), fake, values=VALUES)
    assert result.status == "failed"
    assert result.error == "fake (fake-model): model not found"
    assert result.process_data["messages"][1]["content"] == "Why is the sky blue?"
    assert ctx.streamed == []


async def test_a_provider_error_mid_stream_fails_after_what_was_streamed() -> None:
    fake = FakeLLM(Broken(reply("Half an")[:-1], error("connection reset")))
    result, ctx = await run(config(), fake, values=VALUES)
    assert (result.status, result.error) == ("failed", "fake (fake-model): connection reset")
    assert ctx.streamed == ["Half an"]


async def test_finish_reason_is_reported() -> None:
    fake = FakeLLM(reply("Trunc", finish_reason="length"))
    result, _ = await run(config(), fake, values=VALUES)
    assert result.outputs["finish_reason"] == "length"


# Context


CHUNKS = [
    {"content": "The sky scatters blue light.", "score": 0.9},
    {"content": "Sunsets are red. {{ start.persona }}", "score": 0.5},
]


async def test_context_replaces_the_placeholder_in_the_system_prompt() -> None:
    fake = FakeLLM(reply("ok"))
    values = {**VALUES, "kb": {"result": CHUNKS}}
    system = "Answer from this:\n{{ context }}\nBe {{ start.persona }}."
    result, _ = await run(config(system=system, context="kb.result"), fake, values=values)

    assert result.status == "succeeded", result.error
    # Retrieved text is inserted after rendering, so its braces are never evaluated.
    assert sent(fake.requests[0])[0] == (
        "system",
        "Answer from this:\nThe sky scatters blue light.\n\n"
        "Sunsets are red. {{ start.persona }}\nBe terse.",
    )
    assert result.inputs["context"].startswith("The sky scatters")


async def test_difys_context_placeholder_works_in_a_user_message() -> None:
    fake = FakeLLM(reply("ok"))
    messages = [{"role": "user", "text": "{{#context#}}\n\nQ: {{ start.question }}"}]
    values = {**VALUES, "kb": {"result": "plain context"}}
    await run(config(system="", messages=messages, context="kb.result"), fake, values=values)
    assert sent(fake.requests[0]) == [("user", "plain context\n\nQ: Why is the sky blue?")]


async def test_context_without_a_placeholder_is_appended_to_the_system_prompt() -> None:
    fake = FakeLLM(reply("ok"))
    values = {**VALUES, "kb": {"result": CHUNKS[:1]}}
    await run(config(context="kb.result"), fake, values=values)
    assert sent(fake.requests[0])[0] == (
        "system",
        f"You are terse.\n\n{llm.CONTEXT_PREAMBLE}\n"
        "<context>\nThe sky scatters blue light.\n</context>",
    )


async def test_difys_placeholder_without_a_context_renders_empty() -> None:
    fake = FakeLLM(reply("ok"))
    await run(config(system="Facts: {{#context#}}."), fake, values=VALUES)
    assert sent(fake.requests[0])[0] == ("system", "Facts: .")


async def test_a_missing_context_value_fails() -> None:
    fake = FakeLLM()
    result, _ = await run(config(context="kb.result"), fake, values=VALUES)
    assert result.status == "failed"
    assert result.error == "context: no value at `kb.result`"


# Memory

HISTORY = [
    ChatMessage("user", "one?"),
    ChatMessage("assistant", "1"),
    ChatMessage("user", "two?"),
    ChatMessage("assistant", "2"),
    ChatMessage("user", "three?"),
    ChatMessage("assistant", "3"),
]


async def test_memory_inserts_the_last_turns_before_the_final_user_message() -> None:
    fake = FakeLLM(reply("ok"))
    messages = [
        {"role": "user", "text": "Example question"},
        {"role": "assistant", "text": "Example answer"},
        {"role": "user", "text": "{{ start.question }}"},
    ]
    cfg = config(messages=messages, memory={"window": 2})
    await run(cfg, fake, values=VALUES, history=HISTORY)
    assert sent(fake.requests[0]) == [
        ("system", "You are terse."),
        ("user", "Example question"),
        ("assistant", "Example answer"),
        ("user", "two?"),
        ("assistant", "2"),
        ("user", "three?"),
        ("assistant", "3"),
        ("user", "Why is the sky blue?"),
    ]


async def test_without_memory_the_history_is_not_sent() -> None:
    fake = FakeLLM(reply("ok"))
    await run(config(), fake, values=VALUES, history=HISTORY)
    assert len(fake.requests[0].messages) == 2


async def test_memory_without_a_user_message_goes_after_the_system_prompt() -> None:
    fake = FakeLLM(reply("ok"))
    cfg = config(messages=[{"role": "assistant", "text": "Go on."}], memory={"window": 1})
    await run(cfg, fake, values=VALUES, history=HISTORY)
    assert sent(fake.requests[0]) == [
        ("system", "You are terse."),
        ("user", "three?"),
        ("assistant", "3"),
        ("assistant", "Go on."),
    ]


# Reasoning


async def test_think_tags_split_across_chunks_go_to_reasoning_and_are_never_streamed() -> None:
    fake = FakeLLM(reply("<thi", "nk>Rayleigh? Yes.</th", "ink>\n\n", "Blue light", " scatters."))
    result, ctx = await run(config(), fake, values=VALUES)

    assert result.outputs["text"] == "Blue light scatters."
    assert result.outputs["reasoning"] == "Rayleigh? Yes."
    assert ctx.streamed == ["Blue light", " scatters."]


async def test_provider_reasoning_goes_to_reasoning_and_is_not_streamed() -> None:
    fake = FakeLLM(reply("Blue.", reasoning=["Think", "ing."]))
    result, ctx = await run(config(), fake, values=VALUES)
    assert (result.outputs["text"], result.outputs["reasoning"]) == ("Blue.", "Thinking.")
    assert ctx.streamed == ["Blue."]


async def test_tagged_reasoning_stays_in_the_text() -> None:
    fake = FakeLLM(reply("<think>hm</think>", "Blue."))
    result, ctx = await run(config(reasoning_format="tagged"), fake, values=VALUES)
    assert result.outputs["text"] == "<think>hm</think>Blue."
    assert result.outputs["reasoning"] == ""
    assert ctx.streamed == ["<think>hm</think>", "Blue."]


async def test_tagged_provider_reasoning_is_wrapped_in_think_tags() -> None:
    fake = FakeLLM(reply("Blue.", reasoning=["hm"]))
    result, _ = await run(config(reasoning_format="tagged"), fake, values=VALUES)
    assert result.outputs["text"] == "<think>\nhm\n</think>\n\nBlue."


# Structured output

SCHEMA = {
    "type": "object",
    "properties": {"colour": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["colour", "confidence"],
}


async def test_structured_output_passes_the_schema_and_parses_a_fenced_answer() -> None:
    answer = '```json\n{"colour": "blue", "confidence": 0.9}\n```'
    fake = FakeLLM(reply(answer[:10], answer[10:], usage=Usage(20, 9)))
    result, ctx = await run(config(json_schema=SCHEMA), fake, values=VALUES)

    assert result.status == "succeeded", result.error
    assert fake.requests[0].json_schema == SCHEMA
    assert result.outputs["structured_output"] == {"colour": "blue", "confidence": 0.9}
    assert result.outputs["text"] == answer
    assert ctx.streamed == [answer[:10], answer[10:]]
    assert "repair" not in result.process_data


async def test_an_invalid_answer_gets_one_repair_request() -> None:
    fake = FakeLLM(
        reply('{"colour": "blue"}', usage=Usage(20, 5)),
        reply('{"colour": "blue", "confidence": 1}', usage=Usage(60, 8)),
    )
    result, ctx = await run(config(json_schema=SCHEMA), fake, values=VALUES)

    assert result.status == "succeeded", result.error
    first, repair = fake.requests
    assert repair.json_schema == SCHEMA
    assert repair.messages[:2] == first.messages
    assert repair.messages[2] == ChatMessage("assistant", '{"colour": "blue"}')
    follow_up = repair.messages[3]
    assert follow_up.role == "user"
    assert "'confidence' is a required property" in follow_up.content
    assert json.dumps(SCHEMA) in follow_up.content
    assert result.outputs["structured_output"] == {"colour": "blue", "confidence": 1}
    assert result.outputs["usage"]["total_tokens"] == 93
    assert result.usage == Usage(80, 13)
    assert ctx.streamed == ['{"colour": "blue"}']  # the repair is not streamed
    assert result.process_data["repair"]["error"].startswith("the answer does not match")


async def test_an_answer_still_invalid_after_repair_fails_explaining_why() -> None:
    fake = FakeLLM(reply("It is blue."), reply('{"colour": 3, "confidence": 1}'))
    result, _ = await run(config(json_schema=SCHEMA), fake, values=VALUES)

    assert result.status == "failed"
    assert result.error is not None
    assert "at `colour`: 3 is not of type 'string'" in result.error
    assert "after one repair attempt" in result.error
    assert "not valid JSON" in result.error
    assert len(fake.requests) == 2


async def test_a_provider_error_during_repair_fails() -> None:
    fake = FakeLLM(reply("[]"), error("overloaded", status=529))
    result, _ = await run(config(json_schema=SCHEMA), fake, values=VALUES)
    assert result.status == "failed"
    assert result.error is not None
    assert "the repair request failed: fake (fake-model): overloaded" in result.error


async def test_an_invalid_schema_fails_before_calling_the_model() -> None:
    fake = FakeLLM()
    bad = {"type": "object", "properties": {"x": {"type": "nonsense"}}}
    result, _ = await run(config(json_schema=bad), fake, values=VALUES)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("json_schema is not a valid JSON Schema:")
    assert fake.requests == []


async def test_structured_output_reads_past_think_tags() -> None:
    fake = FakeLLM(reply('<think>{"colour": "red"}</think>{"colour": "blue", "confidence": 1}'))
    result, _ = await run(config(json_schema=SCHEMA), fake, values=VALUES)
    assert result.outputs["structured_output"] == {"colour": "blue", "confidence": 1}


async def test_tagged_structured_output_keeps_the_tags_in_text_but_parses_past_them() -> None:
    answer = '<think>{"colour": "red"}</think>{"colour": "blue", "confidence": 1}'
    fake = FakeLLM(reply(answer))
    result, _ = await run(
        config(json_schema=SCHEMA, reasoning_format="tagged"), fake, values=VALUES
    )
    assert result.outputs["text"] == answer
    assert result.outputs["structured_output"] == {"colour": "blue", "confidence": 1}


def test_outputs_include_structured_output_only_with_a_schema() -> None:
    assert "structured_output" not in llm.SPEC.outputs(llm.LLMConfig())
    assert llm.SPEC.outputs(llm.LLMConfig(json_schema=SCHEMA))["structured_output"] == "object"

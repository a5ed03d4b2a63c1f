from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import question_classifier as qc
from flowstead.engine.ports import ChatMessage, Usage

from .context import TestContext, make_node
from .fake_llm import FakeLLM, error, reply

CLASSES = [
    {"id": "billing", "name": "Billing question"},
    {"id": "bug", "name": "Bug report"},
    {"id": "other", "name": "Something else"},
]
VALUES = {"sys": {"query": "I was charged twice"}, "start": {"lang": "English"}}


def config(**extra: Any) -> dict[str, Any]:
    return {"model": {"provider": "local", "name": "qwen3"}, "classes": CLASSES, **extra}


async def run(cfg: dict[str, Any], fake: FakeLLM, **ctx: Any) -> tuple[NodeResult, TestContext]:
    context = TestContext(node=make_node("question_classifier", cfg), llm=fake, **ctx)
    context.values = {**VALUES, **context.values}
    result = await qc.run(msgspec.convert(cfg, qc.QuestionClassifierConfig), context)
    return result, context


async def test_chooses_the_class_the_model_names_in_json() -> None:
    fake = FakeLLM(reply('{"class_id": "bug", "class_name": "Bug report"}', usage=Usage(50, 9)))
    result, ctx = await run(config(instruction="Reply in {{ start.lang }}."), fake)

    assert result.status == "succeeded", result.error
    assert result.handle == "bug"
    assert result.outputs == {
        "class_name": "Bug report",
        "class_id": "bug",
        "usage": {"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59},
    }
    assert result.usage == Usage(50, 9)
    assert ctx.streamed == []
    (request,) = fake.requests
    system, user = request.messages
    assert user == ChatMessage("user", "I was charged twice")
    assert system.role == "system"
    categories = [{"class_id": c["id"], "class_name": c["name"]} for c in CLASSES]
    assert json.dumps(categories) in system.content
    assert "Reply in English." in system.content
    assert '"class_id"' in system.content
    assert result.inputs == {"query": "I was charged twice"}
    assert "fallback" not in result.process_data


@pytest.mark.parametrize(
    ("answer", "chosen"),
    [
        ('```json\n{"class_id": "billing"}\n```', "billing"),
        ('{"category_name": "something else"}', "other"),
        ('{"class_id": "BUG"}', "bug"),
        ('{"class_id": "nope", "class_name": "Bug report"}', "bug"),
        ("bug", "bug"),
        ('"Billing question".', "billing"),
        ("This is clearly a bug report about billing question", "bug"),
        ("<think>Billing question? No.</think>Something else", "other"),
    ],
)
async def test_reads_answers_in_many_shapes(answer: str, chosen: str) -> None:
    result, _ = await run(config(), FakeLLM(reply(answer)))
    assert result.handle == chosen
    assert result.outputs["class_id"] == chosen


async def test_an_answer_naming_no_class_falls_back_to_the_first() -> None:
    result, _ = await run(config(), FakeLLM(reply('{"class_id": "weather"}')))
    assert result.status == "succeeded"
    assert result.handle == "billing"
    assert result.outputs["class_name"] == "Billing question"
    assert result.process_data["fallback"] == (
        "the model's answer named no class; chose the first class `billing`"
    )
    assert result.process_data["answer"] == '{"class_id": "weather"}'


async def test_memory_window_inserts_turns_before_the_query() -> None:
    history = [
        ChatMessage("user", "hi"),
        ChatMessage("assistant", "hello"),
        ChatMessage("user", "my app crashes"),
        ChatMessage("assistant", "which version?"),
    ]
    fake = FakeLLM(reply("bug"))
    await run(config(memory_window=1), fake, history=history)
    roles = [(m.role, m.content) for m in fake.requests[0].messages[1:]]
    assert roles == [
        ("user", "my app crashes"),
        ("assistant", "which version?"),
        ("user", "I was charged twice"),
    ]


async def test_no_classes_fails() -> None:
    fake = FakeLLM()
    result, _ = await run(config(classes=[]), fake)
    assert (result.status, result.error) == (
        "failed",
        "no classes configured: add at least one class",
    )
    assert fake.requests == []


async def test_a_missing_model_fails() -> None:
    result, _ = await run(config(model={"provider": "local"}), FakeLLM())
    assert result.error == "no model configured: model.name is not set"


async def test_a_missing_query_fails() -> None:
    result, _ = await run(config(query="start.nothing"), FakeLLM())
    assert (result.status, result.error) == ("failed", "query: no value at `start.nothing`")


async def test_an_instruction_template_error_fails() -> None:
    result, _ = await run(config(instruction="{{ start.nothing }}"), FakeLLM())
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("instruction: template failed")


async def test_a_provider_error_fails() -> None:
    result, _ = await run(config(), FakeLLM(error("rate limited", status=429)))
    assert (result.status, result.error) == ("failed", "fake (fake-model): rate limited")
    assert result.handle is None


def test_handles_are_the_class_ids() -> None:
    cfg = msgspec.convert(config(), qc.QuestionClassifierConfig)
    assert qc.SPEC.handles(cfg) == ("billing", "bug", "other")

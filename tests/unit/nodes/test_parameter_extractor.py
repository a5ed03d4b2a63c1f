from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import parameter_extractor as pe
from flowstead.engine.ports import ChatMessage, ToolCall, ToolSpec, Usage

from .context import TestContext, make_node
from .fake_llm import FakeLLM, error, reply

PARAMETERS: list[dict[str, Any]] = [
    {"name": "city", "type": "string", "description": "Destination city", "required": True},
    {"name": "nights", "type": "number", "required": True},
    {"name": "breakfast", "type": "boolean"},
    {"name": "room", "type": "select", "options": ["single", "double"]},
    {"name": "guests", "type": "array[string]"},
    {"name": "extras", "type": "object"},
]
SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "Destination city"},
        "nights": {"type": "number"},
        "breakfast": {"type": "boolean"},
        "room": {"type": "string", "enum": ["single", "double"]},
        "guests": {"type": "array", "items": {"type": "string"}},
        "extras": {"type": "object"},
    },
    "required": ["city", "nights"],
}
QUERY = "Book Lisbon for 3 nights, double room, for Ana and Rui, with breakfast"
EMPTY = {"breakfast": None, "room": None, "guests": None, "extras": None}


def config(**extra: Any) -> dict[str, Any]:
    return {
        "model": {"provider": "local", "name": "qwen3"},
        "query": "start.request",
        "parameters": PARAMETERS,
        **extra,
    }


def call(arguments: dict[str, Any] | str) -> ToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCall(id="call_1", name=pe.TOOL_NAME, arguments=text)


async def run(cfg: dict[str, Any], fake: FakeLLM, **ctx: Any) -> tuple[NodeResult, TestContext]:
    values = {"start": {"request": QUERY, "tone": "strict"}}
    context = TestContext(
        node=make_node("parameter_extractor", cfg), llm=fake, values=values, **ctx
    )
    result = await pe.run(msgspec.convert(cfg, pe.ParameterExtractorConfig), context)
    return result, context


async def test_function_call_offers_one_tool_and_reads_its_arguments() -> None:
    arguments = {
        "city": "Lisbon",
        "nights": 3,
        "breakfast": True,
        "room": "double",
        "guests": ["Ana", "Rui"],
        "extras": {"parking": False},
    }
    fake = FakeLLM(
        reply(tool_calls=[call(arguments)], usage=Usage(80, 20), finish_reason="tool_calls")
    )
    result, ctx = await run(config(instruction="Be {{ start.tone }}."), fake)

    assert result.status == "succeeded", result.error
    (request,) = fake.requests
    assert request.tools == (ToolSpec(pe.TOOL_NAME, pe.TOOL_DESCRIPTION, SCHEMA),)
    assert request.json_schema is None
    system, user = request.messages
    assert user == ChatMessage("user", QUERY)
    assert "extract_parameters" in system.content
    assert system.content.endswith("Instructions:\nBe strict.")
    assert result.outputs == {
        **arguments,
        "__is_success": 1,
        "__reason": "",
        "usage": {"prompt_tokens": 80, "completion_tokens": 20, "total_tokens": 100},
    }
    assert result.usage == Usage(80, 20)
    assert result.process_data["answer_source"] == "tool_call"
    assert result.process_data["tools"][0]["parameters"] == SCHEMA
    assert ctx.streamed == []


async def test_function_call_falls_back_to_json_in_the_text() -> None:
    fake = FakeLLM(reply('Sure! {"city": "Lisbon", "nights": "3"} Anything else?'))
    result, _ = await run(config(), fake)
    assert result.outputs == {"city": "Lisbon", "nights": 3, **EMPTY, "__is_success": 1,
                              "__reason": "", "usage": result.outputs["usage"]}  # fmt: skip
    assert result.process_data["answer_source"] == "text"


async def test_prompt_mode_asks_for_json_and_offers_no_tools() -> None:
    fake = FakeLLM(reply('```json\n{"city": "Lisbon", "nights": 3.5}\n```'))
    result, _ = await run(config(mode="prompt"), fake)

    (request,) = fake.requests
    assert request.tools == ()
    assert json.dumps(SCHEMA) in request.messages[0].content
    assert "JSON object" in request.messages[0].content
    assert "tools" not in result.process_data
    assert (result.outputs["city"], result.outputs["nights"]) == ("Lisbon", 3.5)
    assert result.outputs["__is_success"] == 1


async def test_values_are_coerced_to_their_types() -> None:
    arguments = {
        "city": 42,
        "nights": " 1,000 ",
        "breakfast": "Yes",
        "room": "DOUBLE",
        "guests": "Ana",
        "extras": '{"late": true}',
    }
    result, _ = await run(config(), FakeLLM(reply(tool_calls=[call(arguments)])))
    assert result.outputs["__reason"] == ""
    assert {k: result.outputs[k] for k in arguments} == {
        "city": "42",
        "nights": 1000,
        "breakfast": True,
        "room": "double",
        "guests": ["Ana"],
        "extras": {"late": True},
    }


async def test_missing_required_parameters_are_named() -> None:
    fake = FakeLLM(reply(tool_calls=[call({"breakfast": "no", "city": " "})]))
    result, _ = await run(config(), fake)

    assert result.status == "succeeded"
    assert result.outputs["__is_success"] == 0
    assert result.outputs["__reason"] == "missing required parameters: `city`, `nights`"
    assert result.outputs["city"] is None
    assert result.outputs["nights"] is None
    assert result.outputs["breakfast"] is False


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"room": "suite"}, "`room`: must be one of 'single', 'double'; got \"suite\""),
        ({"nights": "a few"}, '`nights`: expected a number, got "a few"'),
        ({"nights": True}, "`nights`: expected a number, got true"),
        ({"breakfast": "maybe"}, '`breakfast`: expected true or false, got "maybe"'),
        ({"extras": [1]}, "`extras`: expected an object, got [1]"),
    ],
)
async def test_invalid_values_are_reasons(arguments: dict[str, Any], reason: str) -> None:
    full = {"city": "Lisbon", "nights": 2, **arguments}
    result, _ = await run(config(), FakeLLM(reply(tool_calls=[call(full)])))
    assert result.outputs["__is_success"] == 0
    assert result.outputs["__reason"] == reason
    assert result.outputs[next(iter(arguments))] is None


NO_JSON = "the answer is not valid JSON"


@pytest.mark.parametrize(
    ("mode", "answer", "reason"),
    [
        ("function_call", reply("I cannot help."), f"the model called no tool, and {NO_JSON}"),
        ("prompt", reply("I cannot help."), NO_JSON),
        ("prompt", reply('["Lisbon"]'), 'the model\'s answer is not a JSON object: ["Lisbon"]'),
        (
            "function_call",
            reply(tool_calls=[call("{oops")]),
            "the tool call's arguments cannot be read",
        ),
    ],
)
async def test_an_unreadable_answer_is_a_reason(mode: str, answer: Any, reason: str) -> None:
    result, _ = await run(config(mode=mode), FakeLLM(answer))
    assert result.status == "succeeded"
    assert result.outputs["__is_success"] == 0
    assert result.outputs["__reason"].startswith(reason)
    assert all(result.outputs[p["name"]] is None for p in PARAMETERS)


async def test_memory_window_inserts_turns_before_the_query() -> None:
    history = [ChatMessage("user", "Lisbon please"), ChatMessage("assistant", "How long?")]
    fake = FakeLLM(reply(tool_calls=[call({"city": "Lisbon", "nights": 3})]))
    await run(config(memory_window=5), fake, history=history)
    assert [m.content for m in fake.requests[0].messages[1:]] == [
        "Lisbon please",
        "How long?",
        QUERY,
    ]


async def test_no_parameters_fails() -> None:
    fake = FakeLLM()
    result, _ = await run(config(parameters=[]), fake)
    assert result.error == "no parameters configured: add at least one parameter"
    assert fake.requests == []


async def test_a_missing_model_fails() -> None:
    result, _ = await run(config(model={}), FakeLLM())
    assert result.error == "no model configured: model.provider and model.name are not set"


async def test_a_missing_query_fails() -> None:
    result, _ = await run(config(query="start.nope"), FakeLLM())
    assert (result.status, result.error) == ("failed", "query: no value at `start.nope`")


async def test_a_provider_error_fails() -> None:
    result, _ = await run(config(), FakeLLM(error("bad key", status=401)))
    assert (result.status, result.error) == ("failed", "fake (fake-model): bad key")


def test_outputs_list_every_parameter() -> None:
    cfg = msgspec.convert(config(), pe.ParameterExtractorConfig)
    assert pe.SPEC.outputs(cfg) == {
        "city": "string",
        "nights": "number",
        "breakfast": "boolean",
        "room": "string",
        "guests": "array[string]",
        "extras": "object",
        "__is_success": "number",
        "__reason": "string",
        "usage": "object",
    }

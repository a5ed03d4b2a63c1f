from __future__ import annotations

import json
from typing import Any

import msgspec

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import agent
from flowstead.engine.ports import ChatMessage, HttpResponse, ToolCall, Usage
from flowstead.engine.tools import BUILTIN_TOOLS
from tests.unit.tools.context import CannedHttp, FixedClock

from .context import TestContext, make_node
from .fake_llm import FakeLLM, error, reply

NOON = 1719837000.0  # 2024-07-01 12:30:00 UTC
CONFIG: dict[str, Any] = {
    "model": {"provider": "fake", "name": "fake-model"},
    "instruction": "You help {{ start.name }}.",
    "query": "{{ start.question }}",
    "tools": [{"name": "current_time"}, {"name": "http_get_json"}],
}
VALUES = {"start": {"name": "Ada", "question": "What time is it?", "city": "Paris"}}
API = "https://api.test/weather"


def call(name: str, arguments: Any, call_id: str = "c1") -> ToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCall(call_id, name, text)


def usage(prompt: int, completion: int) -> Usage:
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


async def run(
    llm: FakeLLM, http: CannedHttp | None = None, **config: Any
) -> tuple[NodeResult, TestContext]:
    full = {**CONFIG, **config}
    ctx = TestContext(
        node=make_node("agent", full),
        values=VALUES,
        llm=llm,
        clock=FixedClock(NOON),
        http=http or CannedHttp(),
    )
    result = await agent.run(msgspec.convert(full, agent.AgentConfig), ctx)
    return result, ctx


def tool_messages(llm: FakeLLM, request: int) -> list[ChatMessage]:
    return [m for m in llm.requests[request].messages if m.role == "tool"]


async def test_a_tool_call_then_an_answer() -> None:
    llm = FakeLLM(
        reply(tool_calls=[call("current_time", {"timezone": "Europe/Paris"})], usage=usage(10, 3)),
        reply("It is ", "14:30.", usage=usage(20, 4)),
    )

    result, ctx = await run(llm)

    assert result.status == "succeeded", result.error
    assert ctx.streamed == ["It is ", "14:30."]
    assert result.outputs["text"] == "It is 14:30."
    assert result.outputs["iterations"] == 2
    assert result.outputs["log"] == [
        {
            "iteration": 1,
            "tool": "current_time",
            "arguments": {"timezone": "Europe/Paris"},
            "result": "2024-07-01 14:30:00",
        }
    ]
    assert result.outputs["json"][0]["timezone"] == "Europe/Paris"
    first, second = llm.requests
    assert [m.role for m in first.messages] == ["system", "user"]
    assert first.messages[0].content == "You help Ada."
    assert [t.name for t in first.tools] == ["current_time", "http_get_json"]
    assert first.tools[1].parameters["required"] == ["url"]
    assert [m.role for m in second.messages] == ["system", "user", "assistant", "tool"]
    assert second.messages[2].tool_calls[0].name == "current_time"
    assert second.messages[3] == ChatMessage("tool", "2024-07-01 14:30:00", tool_call_id="c1")
    assert second.tool_choice is None


async def test_usage_is_summed_over_the_rounds() -> None:
    llm = FakeLLM(
        reply(tool_calls=[call("current_time", {})], usage=usage(10, 3)),
        reply(tool_calls=[call("current_time", {}, "c2")], usage=usage(15, 2)),
        reply("Done.", usage=usage(20, 4)),
    )

    result, _ = await run(llm)

    assert result.outputs["usage"] == {
        "prompt_tokens": 45,
        "completion_tokens": 9,
        "total_tokens": 54,
    }
    assert result.usage == usage(45, 9)
    assert result.outputs["iterations"] == 3


async def test_parallel_calls_are_all_answered_in_order() -> None:
    http = CannedHttp({API: HttpResponse(200, {}, b'{"sky": "clear"}')})
    llm = FakeLLM(
        reply(
            tool_calls=[
                call("http_get_json", {"url": API}, "a"),
                call("current_time", {"format": "%H:%M"}, "b"),
            ]
        ),
        reply("Clear at 12:30."),
    )

    result, _ = await run(llm, http)

    assert result.status == "succeeded", result.error
    answered = tool_messages(llm, 1)
    assert [m.tool_call_id for m in answered] == ["a", "b"]
    assert json.loads(answered[0].content) == {"sky": "clear"}
    assert answered[1].content == "12:30"
    assert [step["tool"] for step in result.outputs["log"]] == ["http_get_json", "current_time"]
    assert result.outputs["json"][0] == {"sky": "clear"}


async def test_bad_arguments_are_told_to_the_model() -> None:
    llm = FakeLLM(
        reply(
            tool_calls=[
                call("http_get_json", {}, "a"),
                call("current_time", "{not json", "b"),
                call("current_time", [1, 2], "c"),
            ]
        ),
        reply("Sorry."),
    )

    result, _ = await run(llm)

    assert result.status == "succeeded", result.error
    missing, broken, listed = (m.content for m in tool_messages(llm, 1))
    assert missing == (
        "Error: parameter `url` is required; call `http_get_json` again with corrected arguments"
    )
    assert broken.startswith("Error: the arguments are not valid JSON (")
    assert listed == "Error: the arguments must be a JSON object of parameter values"
    assert "error" in result.outputs["log"][0]
    assert result.outputs["log"][1]["arguments"] == "{not json"


async def test_a_failing_tool_is_told_to_the_model() -> None:
    llm = FakeLLM(reply(tool_calls=[call("http_get_json", {"url": API})]), reply("It failed."))

    result, _ = await run(llm, CannedHttp())

    assert result.status == "succeeded"
    (message,) = tool_messages(llm, 1)
    assert message.content == f"Error: could not fetch {API}: could not connect to {API}"


async def test_an_unknown_tool_is_told_to_the_model() -> None:
    llm = FakeLLM(
        reply(tool_calls=[call("web_fetch", {"url": API})]),
        reply("I cannot fetch pages."),
    )

    result, _ = await run(llm)

    (message,) = tool_messages(llm, 1)
    assert message.content == (
        "Error: there is no tool `web_fetch`; you can call: current_time, http_get_json"
    )
    assert result.outputs["log"][0]["error"].startswith("there is no tool `web_fetch`")


async def test_fixed_parameters_override_the_model_and_are_hidden_from_it() -> None:
    tools = [{"name": "current_time", "parameters": {"timezone": "{{ 'Asia/Tokyo' }}"}}]
    llm = FakeLLM(
        reply(tool_calls=[call("current_time", {"timezone": "Europe/Paris", "format": "%H"})]),
        reply("21 o'clock."),
    )

    result, _ = await run(llm, tools=tools)

    assert result.outputs["log"][0]["result"] == "21"
    schema = llm.requests[0].tools[0].parameters
    assert set(schema["properties"]) == {"format"}


async def test_after_max_iterations_the_model_must_answer() -> None:
    llm = FakeLLM(
        reply(tool_calls=[call("current_time", {}, "1")]),
        reply(tool_calls=[call("current_time", {}, "2")]),
        reply("Leftover ", "answer.", tool_calls=[call("current_time", {}, "3")]),
    )

    result, ctx = await run(llm, max_iterations=2)

    assert result.status == "succeeded", result.error
    assert result.outputs["iterations"] == 3
    assert ctx.streamed == ["Leftover ", "answer."]
    final = llm.requests[2]
    assert final.tool_choice == "none"
    assert final.messages[-1] == ChatMessage("user", agent.FINAL_NUDGE)
    assert result.outputs["log"][-1] == {
        "iteration": 3,
        "tool": "current_time",
        "arguments": "{}",
        "error": "not run: the agent had used all its iterations",
    }
    assert len(tool_messages(llm, 2)) == 2


async def test_no_answer_after_max_iterations_fails_clearly() -> None:
    llm = FakeLLM(
        reply(tool_calls=[call("current_time", {}, "1")]),
        reply(tool_calls=[call("current_time", {}, "2")]),
    )

    result, _ = await run(llm, max_iterations=1)

    assert result.status == "failed"
    assert result.error == (
        "the agent used all its 1 iterations calling tools and gave no answer; "
        "raise max_iterations or give it a smaller task"
    )
    assert len(result.process_data["log"]) == 2


async def test_text_beside_tool_calls_streams_and_rounds_are_set_apart() -> None:
    llm = FakeLLM(
        reply("Let me look.", tool_calls=[call("current_time", {})]),
        reply("It is noon.", reasoning=["thinking"]),
    )

    result, ctx = await run(llm)

    assert ctx.streamed == ["Let me look.", "\n\n", "It is noon."]
    assert result.outputs["text"] == "Let me look.\n\nIt is noon."
    assert result.outputs["reasoning"] == "thinking"
    assert llm.requests[1].messages[2].content == "Let me look."


async def test_huge_results_are_cut() -> None:
    body = json.dumps({"data": "x" * (agent.MAX_RESULT_CHARS * 2)}).encode()
    http = CannedHttp({API: HttpResponse(200, {}, body)})
    llm = FakeLLM(reply(tool_calls=[call("http_get_json", {"url": API})]), reply("Big."))

    await run(llm, http)

    (message,) = tool_messages(llm, 1)
    assert len(message.content) < agent.MAX_RESULT_CHARS + 100
    assert message.content.endswith(" more characters]")


async def test_memory_goes_before_the_query() -> None:
    history = [ChatMessage("user", "Hi"), ChatMessage("assistant", "Hello")]
    llm = FakeLLM(reply("Noon."))
    full = {**CONFIG, "memory": {"window": 5}}
    ctx = TestContext(node=make_node("agent", full), values=VALUES, llm=llm, history=history)

    await agent.run(msgspec.convert(full, agent.AgentConfig), ctx)

    assert [m.content for m in llm.requests[0].messages] == [
        "You help Ada.",
        "Hi",
        "Hello",
        "What time is it?",
    ]


async def test_a_model_error_fails_the_node_with_the_log_so_far() -> None:
    llm = FakeLLM(reply(tool_calls=[call("current_time", {})], usage=usage(5, 1)), error())

    result, _ = await run(llm)

    assert result.status == "failed"
    assert result.error == "fake (fake-model): server said no"
    assert result.usage == usage(5, 1)
    assert result.process_data["log"][0]["tool"] == "current_time"


async def test_unusable_settings_fail_before_any_model_call() -> None:
    cases = {
        "tools": ([], "an agent needs at least one tool"),
        "query": ("  ", "the query is empty"),
        "model": ({"provider": "fake"}, "no model configured: model.name is not set"),
    }
    for key, (value, message) in cases.items():
        result, _ = await run(FakeLLM(), **{key: value})
        assert result.status == "failed"
        assert result.error is not None
        assert result.error.startswith(message), result.error


def test_check_names_what_is_wrong() -> None:
    config = agent.AgentConfig(
        tools=[
            agent.AgentTool("teleport"),
            agent.AgentTool("current_time", {"zone": "UTC"}),
            agent.AgentTool("current_time"),
        ]
    )
    assert list(agent.check(config)) == [
        (
            "unknown_tool",
            f"`teleport` is not a built-in tool; there are: {', '.join(BUILTIN_TOOLS.names())}",
        ),
        (
            "bad_config",
            "the tool `current_time` has no parameter `zone` (it takes timezone, format)",
        ),
        ("bad_config", "the tool `current_time` is listed twice"),
    ]

from __future__ import annotations

import json

import pytest

from flowstead.engine.ports import ChatChunk, ChatMessage, ChatRequest, ToolCall, ToolSpec, Usage
from flowstead.providers.framing import StreamFailure
from flowstead.providers.ollama import ChatStreamParser, chat_payload


def test_payload_options_format_and_tools() -> None:
    schema = {"type": "object"}
    request = ChatRequest(
        provider="p",
        model="llama3.2",
        messages=(ChatMessage("user", "hi"),),
        temperature=0.1,
        top_p=0.5,
        max_tokens=64,
        stop=("\n\n",),
        tools=(ToolSpec("f", "d", {"type": "object"}),),
        json_schema=schema,
        extra={"keep_alive": "5m", "think": True},
    )

    body = chat_payload(request)

    assert body["options"] == {
        "temperature": 0.1,
        "top_p": 0.5,
        "num_predict": 64,
        "stop": ["\n\n"],
    }
    assert body["format"] == schema
    assert body["tools"][0]["function"]["name"] == "f"
    assert body["stream"] is True
    assert (body["keep_alive"], body["think"]) == ("5m", True)


def test_payload_tool_calls_become_objects_and_results_name_their_tool() -> None:
    messages = (
        ChatMessage(
            "assistant",
            "",
            tool_calls=(ToolCall("c1", "add", '{"a": 1}'), ToolCall("c2", "bad", "{oops")),
        ),
        ChatMessage("tool", "2", tool_call_id="c1"),
    )

    body = chat_payload(ChatRequest(provider="p", model="m", messages=messages))

    assert body["messages"][0]["tool_calls"] == [
        {"function": {"name": "add", "arguments": {"a": 1}}},
        {"function": {"name": "bad", "arguments": {}}},
    ]
    assert body["messages"][1] == {"role": "tool", "content": "2", "tool_name": "add"}
    assert "options" not in body


def test_parser_thinking_tool_calls_and_token_counts() -> None:
    parser = ChatStreamParser()
    lines = [
        {"message": {"role": "assistant", "content": "", "thinking": "let me see"}, "done": False},
        {"message": {"role": "assistant", "content": "Sure."}, "done": False},
        {
            "message": {
                "content": "",
                "tool_calls": [{"function": {"name": "add", "arguments": {"a": 1}}}],
            },
            "done": False,
        },
        {
            "message": {"content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 9,
            "eval_count": 4,
        },
    ]

    out = [chunk for line in lines for chunk in parser.feed("", json.dumps(line))]

    assert out == [
        ChatChunk(reasoning="let me see"),
        ChatChunk(text="Sure."),
        ChatChunk(
            tool_calls=(ToolCall("call_0", "add", '{"a":1}'),),
            usage=Usage(9, 4),
            finish_reason="tool_calls",
        ),
    ]
    assert list(parser.end()) == []


def test_parser_error_line_and_missing_done() -> None:
    with pytest.raises(StreamFailure, match="model requires more system memory"):
        ChatStreamParser().feed("", '{"error": "model requires more system memory"}')
    parser = ChatStreamParser()
    list(parser.feed("", '{"message": {"content": "x"}, "done": false}'))
    with pytest.raises(StreamFailure, match="stream ended before completion"):
        parser.end()

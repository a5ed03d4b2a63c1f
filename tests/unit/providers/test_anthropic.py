from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from flowstead.engine.ports import ChatChunk, ChatMessage, ChatRequest, ToolCall, ToolSpec, Usage
from flowstead.providers.anthropic import ChatStreamParser, auth_headers, chat_payload
from flowstead.providers.framing import StreamFailure


def test_auth_headers() -> None:
    assert auth_headers("sk-ant") == {"anthropic-version": "2023-06-01", "x-api-key": "sk-ant"}
    assert auth_headers(None) == {"anthropic-version": "2023-06-01"}


def test_payload_system_tools_and_tool_round_trip() -> None:
    messages = (
        ChatMessage("system", "Be brief."),
        ChatMessage("system", "Use metric units."),
        ChatMessage("user", "Weather?"),
        ChatMessage(
            "assistant", "Checking.", tool_calls=(ToolCall("tu1", "weather", '{"city": "Oslo"}'),)
        ),
        ChatMessage("tool", "-3C", tool_call_id="tu1"),
    )
    request = ChatRequest(
        provider="p",
        model="claude",
        messages=messages,
        stop=("END",),
        tools=(ToolSpec("weather", "Weather now", {"type": "object"}),),
        tool_choice="required",
        json_schema={"type": "object"},
    )

    body = chat_payload(request)

    assert body["system"] == "Be brief.\n\nUse metric units."
    assert body["max_tokens"] == 4096
    assert body["stop_sequences"] == ["END"]
    assert body["tools"] == [
        {"name": "weather", "description": "Weather now", "input_schema": {"type": "object"}}
    ]
    assert body["tool_choice"] == {"type": "any"}
    assert body["messages"] == [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "tu1", "name": "weather", "input": {"city": "Oslo"}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "tu1", "content": "-3C"}],
        },
    ]
    assert "response_format" not in body


def events(parser: ChatStreamParser, *items: Mapping[str, object]) -> list[ChatChunk]:
    return [chunk for item in items for chunk in parser.feed(str(item["type"]), json.dumps(item))]


def test_parser_blocks_usage_and_stop_reason() -> None:
    parser = ChatStreamParser()
    usage = {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 1}
    out = events(
        parser,
        {"type": "message_start", "message": {"usage": usage}},
        {"type": "ping"},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "hm"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "s"},
        },
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"a":'},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": " 1}"},
        },
        {
            "type": "content_block_start",
            "index": 3,
            "content_block": {"type": "tool_use", "id": "u", "name": "g", "input": {}},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 7},
        },
        {"type": "message_stop"},
    )

    assert out == [
        ChatChunk(reasoning="hm"),
        ChatChunk(text="Hi"),
        ChatChunk(
            tool_calls=(ToolCall("t", "f", '{"a": 1}'), ToolCall("u", "g", "{}")),
            usage=Usage(15, 7),
            finish_reason="tool_calls",
        ),
    ]


@pytest.mark.parametrize(
    ("reason", "finish"), [("end_turn", "stop"), ("max_tokens", "length"), ("refusal", "refusal")]
)
def test_stop_reasons_use_the_openai_vocabulary(reason: str, finish: str) -> None:
    parser = ChatStreamParser()
    out = events(
        parser,
        {"type": "message_start", "message": {"usage": {}}},
        {"type": "message_delta", "delta": {"stop_reason": reason}, "usage": {}},
        {"type": "message_stop"},
    )

    assert out[-1].finish_reason == finish


def test_parser_error_event_and_missing_stop() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(StreamFailure, match="overloaded_error: Overloaded"):
        events(ChatStreamParser(), error)
    parser = ChatStreamParser()
    events(parser, {"type": "message_start", "message": {"usage": {}}})
    with pytest.raises(StreamFailure, match="stream ended before completion"):
        parser.end()

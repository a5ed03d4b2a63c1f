from __future__ import annotations

import json
from typing import Any

import pytest

from flowstead.engine.ports import ChatChunk, ChatMessage, ChatRequest, ToolCall, ToolSpec, Usage
from flowstead.providers.framing import StreamFailure
from flowstead.providers.openai_compat import ChatStreamParser, chat_payload

TOOL = ToolSpec("lookup", "Look a word up", {"type": "object"})


def request(**fields: Any) -> ChatRequest:
    return ChatRequest(
        provider="p",
        model="m",
        messages=(ChatMessage("user", "hi"),),
        **fields,
    )


def test_payload_streams_with_usage_and_maps_options() -> None:
    body = chat_payload(
        request(temperature=0.3, top_p=0.9, max_tokens=20, stop=("END",), extra={"seed": 7})
    )

    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.3,
        "top_p": 0.9,
        "max_tokens": 20,
        "stop": ["END"],
        "seed": 7,
    }


def test_payload_tools_tool_choice_and_json_schema() -> None:
    schema = {"title": "A reply!", "type": "object"}
    body = chat_payload(request(tools=(TOOL,), tool_choice="lookup", json_schema=schema))

    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "description": "Look a word up",
                "parameters": {"type": "object"},
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "A_reply_", "schema": schema},
    }
    assert chat_payload(request(tool_choice="required"))["tool_choice"] == "required"


def test_payload_assistant_tool_calls_and_tool_results() -> None:
    call = ToolCall("c1", "lookup", '{"w": "flow"}')
    messages = (
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", "a state of focus", tool_call_id="c1"),
    )
    body = chat_payload(ChatRequest(provider="p", model="m", messages=messages))

    assert body["messages"] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"w": "flow"}'},
                }
            ],
        },
        {"role": "tool", "content": "a state of focus", "tool_call_id": "c1"},
    ]


def feed(parser: ChatStreamParser, *chunks: object) -> list[ChatChunk]:
    out: list[ChatChunk] = []
    for chunk in chunks:
        out += parser.feed("", chunk if isinstance(chunk, str) else json.dumps(chunk))
    return out


def delta(finish: str | None = None, **values: object) -> dict[str, object]:
    return {"choices": [{"index": 0, "delta": values, "finish_reason": finish}]}


def test_parser_assembles_tool_call_fragments_and_closes_with_usage() -> None:
    parser = ChatStreamParser()
    out = feed(
        parser,
        delta(role="assistant", content=""),
        delta(reasoning_content="hmm"),
        delta(
            tool_calls=[{"index": 0, "id": "c9", "function": {"name": "lookup", "arguments": ""}}]
        ),
        delta(tool_calls=[{"index": 0, "function": {"arguments": '{"w": '}}]),
        delta(tool_calls=[{"index": 0, "function": {"arguments": '"x"}'}}]),
        delta("tool_calls"),
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}},
        "[DONE]",
    )

    assert out == [
        ChatChunk(reasoning="hmm"),
        ChatChunk(
            tool_calls=(ToolCall("c9", "lookup", '{"w": "x"}'),),
            usage=Usage(5, 2),
            finish_reason="tool_calls",
        ),
    ]
    assert list(parser.end()) == []


def test_parser_accepts_reasoning_field_and_a_missing_done() -> None:
    parser = ChatStreamParser()
    out = feed(parser, delta(reasoning="r", content="t"), delta("length"))

    assert out == [ChatChunk(text="t", reasoning="r")]
    assert list(parser.end()) == [ChatChunk(finish_reason="length")]


def test_parser_reports_an_error_event() -> None:
    with pytest.raises(StreamFailure, match="server error mid-stream"):
        feed(ChatStreamParser(), {"error": {"message": "out of memory"}})


def test_parser_end_without_finish_is_incomplete() -> None:
    parser = ChatStreamParser()
    feed(parser, delta(content="half"))

    with pytest.raises(StreamFailure, match="stream ended before completion"):
        parser.end()

"""The helpers the model-driven nodes share: the think-tag splitter, JSON from model text,
memory windows."""

from __future__ import annotations

import pytest

from flowstead.engine.nodes._llm_common import last_turns, parse_json, with_memory
from flowstead.engine.ports import ChatMessage
from flowstead.engine.reasoning import Split, ThinkSplitter, split_think

TEXT = "<think>Is it blue?\nYes.</think>\n\nThe sky is blue. <b>Bold</b> <thin ice>"


def feed_all(pieces: list[str]) -> tuple[list[str], str]:
    splitter = ThinkSplitter()
    answers, reasoning = [], ""
    for piece in [*pieces, None]:
        split = splitter.feed(piece) if piece is not None else splitter.flush()
        if split.answer:
            answers.append(split.answer)
        reasoning += split.reasoning
    return answers, reasoning


@pytest.mark.parametrize("at", range(1, len(TEXT)))
def test_a_tag_split_anywhere_is_still_found(at: int) -> None:
    answers, reasoning = feed_all([TEXT[:at], TEXT[at:]])
    assert "".join(answers) == "The sky is blue. <b>Bold</b> <thin ice>"
    assert reasoning == "Is it blue?\nYes."


def test_one_character_at_a_time() -> None:
    answers, reasoning = feed_all(list(TEXT))
    assert "".join(answers) == "The sky is blue. <b>Bold</b> <thin ice>"
    assert reasoning == "Is it blue?\nYes."
    assert not any("think" in a or "Yes" in a for a in answers)


def test_text_without_tags_passes_through_at_once() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("Hello") == Split("Hello", "")
    assert splitter.feed(" world <") == Split(" world ", "")
    assert splitter.feed("3") == Split("<3", "")


def test_several_blocks_and_an_unclosed_one() -> None:
    assert split_think("a<think>x</think>b<think>y</think> c") == Split("abc", "xy")
    assert split_think("answer<think>still thinking") == Split("answer", "still thinking")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('  ```json\n{"a": [1, 2]}\n```  ', {"a": [1, 2]}),
        ('```\n{"a": 1}\n```', {"a": 1}),
        ('Here you go: {"a": {"b": "}"}} hope it helps {', {"a": {"b": "}"}}),
        ("[1, 2]", [1, 2]),
        ('"text"', "text"),
    ],
)
def test_parse_json_finds_the_value(text: str, value: object) -> None:
    assert parse_json(text) == value


@pytest.mark.parametrize(
    ("text", "message"), [("", "the answer is empty"), ("{nope", "not valid JSON")]
)
def test_parse_json_says_why_not(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_json(text)


HISTORY = [
    ChatMessage("user", "1"),
    ChatMessage("assistant", "a"),
    ChatMessage("user", "2"),
    ChatMessage("assistant", "b"),
]


def test_last_turns_counts_user_messages() -> None:
    assert last_turns(HISTORY, 1) == HISTORY[2:]
    assert last_turns(HISTORY, 5) == HISTORY
    assert last_turns(HISTORY, 0) == []


def test_memory_goes_before_the_last_user_message() -> None:
    messages = [ChatMessage("system", "s"), ChatMessage("user", "q")]
    assert with_memory(messages, HISTORY[:2]) == [messages[0], *HISTORY[:2], messages[1]]
    assert with_memory([ChatMessage("system", "s")], HISTORY[:1]) == [
        ChatMessage("system", "s"),
        HISTORY[0],
    ]

"""Answer streaming: in order, as early as each part is known, never interleaved."""

from __future__ import annotations

import asyncio

from flowstead.engine.events import AnyEvent, NodeFinished, TextChunk

from .helpers import FakeLLM, finished, gated, llm_node, of, replies, run, text_of


def chunks(events: list[AnyEvent]) -> list[tuple[str, str]]:
    return [(e.node_id, e.text) for e in of(events, TextChunk)]


TWO_MODELS = f"""
flowstead: 1
mode: chat
nodes:
  - {{id: start, type: start}}
{llm_node("first", "one", prompt="{{ sys.query }}")}
{llm_node("second", "two", prompt="{{ sys.query }}")}
  - id: reply
    type: answer
    config: {{text: "A: {{{{ first.text }}}} B: {{{{ second.text }}}}."}}
edges:
  - {{from: start, to: first}}
  - {{from: start, to: second}}
  - {{from: first, to: reply}}
  - {{from: second, to: reply}}
"""


async def test_answer_streams_each_part_in_order_as_soon_as_it_is_known() -> None:
    second_done = asyncio.Event()

    async def finish_second() -> None:
        second_done.set()

    async def after_second() -> None:
        await second_done.wait()

    llm = FakeLLM(one=gated(after_second, "p", "q"), two=gated("x", "y", finish_second))

    events = await run(TWO_MODELS, query="hello", llm=llm)

    assert chunks(events) == [
        ("reply", "A: "),  # the literal goes out before any model has said anything
        ("second", "x"),
        ("second", "y"),  # held back: the answer is still at `first.text`
        ("first", "p"),
        ("reply", "p"),  # forwarded live, chunk by chunk
        ("first", "q"),
        ("reply", "q"),
        ("reply", " B: "),
        ("reply", "xy"),
        ("reply", "."),
    ]
    reply = next(e for e in of(events, NodeFinished) if e.node_id == "reply")
    assert reply.outputs == {"answer": "A: pq B: xy."}
    assert events.index(reply) > max(events.index(e) for e in of(events, TextChunk))
    assert finished(events).outputs == {"answer": "A: pq B: xy."}


BRANCHED = f"""
flowstead: 1
mode: chat
nodes:
  - {{id: start, type: start}}
  - id: check
    type: if_else
    config: {{cases: [{{id: hi, conditions: [{{variable: sys.query, op: is, value: hi}}]}}]}}
{llm_node("model", "m", prompt="{{ sys.query }}")}
  - {{id: greet, type: answer, config: {{text: "Hello! {{{{ model.text }}}}"}}}}
  - {{id: other, type: answer, config: {{text: "Sorry."}}}}
edges:
  - {{from: start, to: check}}
  - {{from: check, handle: hi, to: model}}
  - {{from: model, to: greet}}
  - {{from: check, handle: else, to: other}}
"""


async def test_an_answer_behind_a_branch_streams_only_once_the_branch_is_taken() -> None:
    events = await run(BRANCHED, query="hi", llm=FakeLLM(m=replies("there")))

    assert chunks(events) == [("greet", "Hello! "), ("model", "there"), ("greet", "there")]
    check = next(
        i for i, e in enumerate(events) if isinstance(e, NodeFinished) and e.node_id == "check"
    )
    first_chunk = next(i for i, e in enumerate(events) if isinstance(e, TextChunk))
    assert first_chunk > check
    assert text_of(events, "other") == []


async def test_a_skipped_answer_streams_nothing() -> None:
    events = await run(BRANCHED, query="bye", llm=FakeLLM(m=replies("there")))

    assert chunks(events) == [("other", "Sorry.")]
    assert finished(events).outputs == {"answer": "Sorry."}


SEQUENTIAL = f"""
flowstead: 1
mode: chat
nodes:
  - {{id: start, type: start}}
{llm_node("slow", "m", prompt="{{ sys.query }}")}
  - {{id: one, type: answer, config: {{text: "[{{{{ slow.text }}}}]"}}}}
  - {{id: two, type: answer, config: {{text: "(quick)"}}}}
edges:
  - {{from: start, to: slow}}
  - {{from: slow, to: one}}
  - {{from: start, to: two}}
"""


async def test_answers_never_interleave() -> None:
    events = await run(SEQUENTIAL, query="q", llm=FakeLLM(m=replies("a", "b")))

    answer_text = [(n, t) for n, t in chunks(events) if n in ("one", "two")]
    assert answer_text == [
        ("one", "["),
        ("one", "a"),
        ("one", "b"),
        ("one", "]"),
        ("two", "(quick)"),
    ]
    assert finished(events).outputs == {"answer": "[ab](quick)"}


async def test_a_template_beyond_plain_references_streams_whole_when_rendered() -> None:
    text = f"""
flowstead: 1
mode: chat
nodes:
  - {{id: start, type: start}}
{llm_node("model", "m", prompt="{{ sys.query }}")}
  - id: reply
    type: answer
    config: {{text: "{{% if model.text %}}Yes: {{{{ model.text }}}}{{% endif %}}"}}
edges:
  - {{from: start, to: model}}
  - {{from: model, to: reply}}
"""
    events = await run(text, query="q", llm=FakeLLM(m=replies("a", "b")))

    assert text_of(events, "reply") == ["Yes: ab"]


async def test_conversation_variables_stream_once_their_writers_are_done() -> None:
    text = """
flowstead: 1
mode: chat
conversation_variables: [{name: visits, type: number}]
nodes:
  - {id: start, type: start}
  - id: count
    type: variable_assigner
    config:
      items:
        - {variable: conversation.visits, operation: "+=", input_type: constant, value: 1}
  - {id: reply, type: answer, config: {text: "Visit {{ conversation.visits }}"}}
edges:
  - {from: start, to: count}
  - {from: count, to: reply}
"""
    events = await run(text, query="q", conversation={"visits": 4})

    assert "".join(text_of(events, "reply")) == "Visit 5"
    assert finished(events).conversation == {"visits": 5}

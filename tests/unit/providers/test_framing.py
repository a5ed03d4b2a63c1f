from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from flowstead.providers.framing import StreamFailure, decode_chunk, ndjson_events, sse_events


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


async def test_sse_events_with_names_multiline_data_and_comments() -> None:
    events = [
        e
        async for e in sse_events(
            lines(": keep-alive", "", "event: ping", "data: {}", "", "data:a", "data: b", "", "")
        )
    ]

    assert events == [("ping", "{}"), ("", "a\nb")]


async def test_sse_drops_an_unterminated_last_event() -> None:
    events = [e async for e in sse_events(lines("data: 1", "", 'data: {"partial'))]

    assert events == [("", "1")]


async def test_ndjson_skips_blank_lines() -> None:
    events = [e async for e in ndjson_events(lines('{"a": 1}', "", "  ", '{"b": 2}'))]

    assert events == [("", '{"a": 1}'), ("", '{"b": 2}')]


@pytest.mark.parametrize("data", ['{"a": ', "[1, 2]", "null"])
def test_decode_chunk_rejects_anything_but_an_object(data: str) -> None:
    with pytest.raises(StreamFailure, match="malformed chunk"):
        decode_chunk(data)

"""Retries, timeouts and broken streams: every failure names the provider and the model."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from flowstead.engine.ports import ChatChunk, LLMError
from tests.fakes import Cut, ErrorStatus, FakeModelServer, Hang, Malformed, Reply
from tests.integration.providers.conftest import MakeHarness


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """A loopback address where nothing listens (the port is held, so no one else takes it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_429_is_retried_after_the_wait_the_server_asked_for(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server)
    model_server.enqueue(ErrorStatus(429, "slow down", retry_after=1.5), Reply(text="ok then"))

    chunks = await h.collect()

    assert "".join(c.text for c in chunks) == "ok then"
    assert h.sleeps == [1.5]
    assert len(model_server.requests) == 2


async def test_5xx_is_retried_with_backoff_then_succeeds(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server, backoff_base=0.1, max_retries=3)
    model_server.enqueue(ErrorStatus(500), ErrorStatus(503), Reply(text="recovered"))

    chunks = await h.collect()

    assert "".join(c.text for c in chunks) == "recovered"
    assert len(h.sleeps) == 2
    assert 0.05 <= h.sleeps[0] <= 0.1
    assert 0.1 <= h.sleeps[1] <= 0.2


async def test_giving_up_reports_the_status_and_the_servers_message(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server, max_retries=1)
    model_server.enqueue(*[ErrorStatus(502, "upstream is down")] * 2)

    with pytest.raises(LLMError) as caught:
        await h.collect()

    assert caught.value.status == 502
    assert caught.value.provider == h.provider_id
    assert caught.value.model == "fake-chat"
    assert str(caught.value) == f"{h.provider_id} (fake-chat): HTTP 502: upstream is down"
    assert len(model_server.requests) == 2


async def test_client_errors_are_not_retried(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server)
    model_server.enqueue(ErrorStatus(401, "invalid api key"), Reply(text="never"))

    with pytest.raises(LLMError, match="HTTP 401: invalid api key") as caught:
        await h.collect()

    assert caught.value.status == 401
    assert len(model_server.requests) == 1


async def test_a_long_retry_after_fails_at_once(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server, max_retry_after=10)
    model_server.enqueue(ErrorStatus(429, "quota spent", retry_after=3600))

    with pytest.raises(LLMError, match="HTTP 429: quota spent"):
        await h.collect()

    assert h.sleeps == []


async def test_no_answer_within_the_read_timeout(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server, read_timeout=0.2)
    model_server.enqueue(Reply(text="too late", fault=Hang(seconds=30)))

    with pytest.raises(LLMError) as caught:
        await h.collect()

    message = str(caught.value)
    assert message.startswith(f"{h.provider_id} (fake-chat): timed out")
    assert "0.2s" in message
    assert len(model_server.requests) == 1


async def test_a_stream_cut_mid_way(model_server: FakeModelServer, harness: MakeHarness) -> None:
    h = harness(model_server)
    model_server.enqueue(Reply(text="one two three four five", fault=Cut(after=4)))
    received: list[ChatChunk] = []

    with pytest.raises(LLMError, match="stream ended before completion"):
        await h.collect(into=received)

    assert received  # some text arrived, and it is not sent again by a retry
    assert len(model_server.requests) == 1


async def test_a_body_that_ends_before_the_final_event(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(model_server)
    model_server.enqueue(Reply(text="one two three", fault=Cut(after=3, clean=True)))

    with pytest.raises(LLMError, match="stream ended before completion"):
        await h.collect()


async def test_a_malformed_chunk(model_server: FakeModelServer, harness: MakeHarness) -> None:
    h = harness(model_server)
    model_server.enqueue(Reply(text="fine until now", fault=Malformed(after=2)))

    with pytest.raises(LLMError, match="malformed chunk") as caught:
        await h.collect()

    assert caught.value.provider == h.provider_id
    assert len(model_server.requests) == 1


async def test_connection_refused_is_retried_then_reported(
    harness: MakeHarness, refusing_url: str
) -> None:
    h = harness(kind="ollama", base_url=refusing_url, max_retries=2)

    with pytest.raises(LLMError, match=f"could not connect to {refusing_url}"):
        await h.collect()

    assert len(h.sleeps) == 2

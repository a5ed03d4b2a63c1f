"""The JSON error shape everywhere, CORS from the settings, pings on quiet streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from flowstead.api import sse
from flowstead.api.app import create_app
from flowstead.api.sse import with_pings
from flowstead.settings import Settings
from tests.integration.api.conftest import ADMIN, PASSWORD, Client, assert_error


async def test_internal_errors_name_no_internals(client: Client) -> None:
    await client.app.state.store.close()  # every query now fails inside the driver
    response = await client.get("/api/workflows", headers=ADMIN)
    message = assert_error(response, 500, "internal_server_error")
    assert message == "Internal server error."
    assert "Traceback" not in response.text
    assert "sqlite" not in response.text.lower()


async def test_unknown_routes_and_methods(client: Client) -> None:
    assert_error(await client.get("/api/nothing", headers=ADMIN), 404, "not_found")
    assert_error(await client.patch("/health"), 405, "method_not_allowed")


async def test_cors_follows_the_settings(tmp_path: Path) -> None:
    origin = "https://app.example"
    settings = Settings.from_env({}, data_dir=tmp_path, password=PASSWORD, cors_origins=(origin,))
    async with AsyncTestClient(create_app(settings)) as client:
        preflight = await client.options(
            "/v1/workflows/run",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == origin
        answer = await client.get("/health", headers={"Origin": origin})
        assert answer.headers["access-control-allow-origin"] == origin
        assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()
        other = await client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_without_cors_origins_no_cors_headers(client: Client) -> None:
    answer = await client.get("/health", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in answer.headers


async def test_a_quiet_stream_gets_pings_and_keeps_its_items() -> None:
    release = asyncio.Event()

    async def source() -> AsyncIterator[str]:
        yield "first"
        await release.wait()  # quiet until the reader has seen a ping
        yield "second"

    seen: list[str | None] = []
    async for item in with_pings(source(), 0.01):
        seen.append(item)
        if item is None:
            release.set()
    assert seen[0] == "first"
    assert None in seen
    assert seen[-1] == "second"
    assert [s for s in seen if s is not None] == ["first", "second"]


async def test_a_failing_source_raises_in_the_reader() -> None:
    async def source() -> AsyncIterator[str]:
        yield "one"
        raise RuntimeError("broken")

    seen: list[str | None] = []

    async def read() -> None:
        async for item in with_pings(source(), 10):
            seen.append(item)

    with pytest.raises(RuntimeError, match="broken"):
        await read()
    assert seen == ["one"]


def test_dify_wire_format() -> None:
    assert sse.ping_message().encode() == b"event: ping\n\n"
    assert sse.data_message({"event": "text_chunk"}).encode() == b'data: {"event":"text_chunk"}\n\n'
    assert sse.event_message(7, "run_started", {}).encode() == (
        b"id: 7\nevent: run_started\ndata: {}\n\n"
    )

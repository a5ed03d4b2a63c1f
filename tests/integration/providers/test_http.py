"""The HttpClient port over httpx, against a loopback echo server."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from flowstead.engine.ports import HttpError, HttpRequest, HttpResponse
from flowstead.providers.http import HttpxHttpClient
from tests.fakes import EchoServer


@pytest.fixture
async def client() -> AsyncIterator[HttpxHttpClient]:
    async with HttpxHttpClient() as client:
        yield client


def echoed(response: HttpResponse) -> dict[str, object]:
    assert response.status == 200
    value = json.loads(response.body)
    assert isinstance(value, dict)
    return value


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_methods(method: str, client: HttpxHttpClient, echo_server: EchoServer) -> None:
    response = await client.send(HttpRequest(method, f"{echo_server.url}/items/7"))

    assert echoed(response)["method"] == method
    assert echo_server.requests[-1].path == "/items/7"


async def test_head_has_headers_but_no_body(
    client: HttpxHttpClient, echo_server: EchoServer
) -> None:
    response = await client.send(HttpRequest("HEAD", f"{echo_server.url}/x"))

    assert response.status == 200
    assert response.body == b""
    assert int(response.headers["content-length"]) > 0


async def test_headers_and_query_params(client: HttpxHttpClient, echo_server: EchoServer) -> None:
    request = HttpRequest(
        "GET",
        f"{echo_server.url}/search?lang=en",
        headers={"Authorization": "Bearer tok-1", "X-Trace": "abc"},
        params={"q": "flow state"},
    )

    await client.send(request)

    sent = echo_server.requests[-1]
    assert sent.query == {"lang": "en", "q": "flow state"}
    assert sent.headers["authorization"] == "Bearer tok-1"
    assert sent.headers["x-trace"] == "abc"


async def test_json_body(client: HttpxHttpClient, echo_server: EchoServer) -> None:
    await client.send(HttpRequest("POST", echo_server.url, json={"a": [1, 2]}))

    sent = echo_server.requests[-1]
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == {"a": [1, 2]}


async def test_form_body(client: HttpxHttpClient, echo_server: EchoServer) -> None:
    await client.send(HttpRequest("POST", echo_server.url, data={"name": "Ada", "x": "1 2"}))

    sent = echo_server.requests[-1]
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.body == b"name=Ada&x=1+2"


async def test_raw_body(client: HttpxHttpClient, echo_server: EchoServer) -> None:
    request = HttpRequest(
        "PUT", echo_server.url, content=b"\x00raw\xff", headers={"Content-Type": "x/bin"}
    )

    await client.send(request)

    assert echo_server.requests[-1].body == b"\x00raw\xff"


async def test_multipart_body(client: HttpxHttpClient, echo_server: EchoServer) -> None:
    request = HttpRequest(
        "POST",
        echo_server.url,
        data={"title": "notes"},
        files={"file": ("notes.txt", b"hello file", "text/plain")},
    )

    await client.send(request)

    sent = echo_server.requests[-1]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="title"' in sent.body
    assert b'filename="notes.txt"' in sent.body
    assert b"hello file" in sent.body


async def test_error_statuses_are_responses(
    client: HttpxHttpClient, echo_server: EchoServer
) -> None:
    response = await client.send(HttpRequest("GET", f"{echo_server.url}/status/503"))

    assert (response.status, response.body) == (503, b"status 503")


async def test_redirects_are_followed(client: HttpxHttpClient, echo_server: EchoServer) -> None:
    response = await client.send(HttpRequest("GET", f"{echo_server.url}/redirect?to=/landed"))

    assert echoed(response)["path"] == "/landed"


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "content-length"])
async def test_response_size_cap(
    declared: bool, client: HttpxHttpClient, echo_server: EchoServer
) -> None:
    suffix = "?length=1" if declared else ""
    fits = HttpRequest("GET", f"{echo_server.url}/bytes/5000{suffix}", max_response_bytes=5000)
    too_big = HttpRequest("GET", f"{echo_server.url}/bytes/5001{suffix}", max_response_bytes=5000)

    assert len((await client.send(fits)).body) == 5000
    with pytest.raises(HttpError, match="response larger than 5000 bytes"):
        await client.send(too_big)


async def test_read_timeout(client: HttpxHttpClient, echo_server: EchoServer) -> None:
    request = HttpRequest("GET", f"{echo_server.url}/slow/30", read_timeout=0.2)

    with pytest.raises(HttpError, match=r"timed out: no data from .*/slow/30 for 0\.2s"):
        await client.send(request)


@pytest.fixture
def unaccepting_url() -> Iterator[str]:
    """A listener whose accept queue is full, so new connections are never completed."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            for filler in fillers:
                filler.close()


async def test_connect_timeout(client: HttpxHttpClient, unaccepting_url: str) -> None:
    request = HttpRequest("GET", unaccepting_url, connect_timeout=0.2)

    with pytest.raises(HttpError, match=rf"could not connect to {unaccepting_url}/? within 0\.2s"):
        await client.send(request)


async def test_connection_refused(client: HttpxHttpClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"

        with pytest.raises(HttpError, match=f"could not connect to {url}"):
            await client.send(HttpRequest("GET", url))


@pytest.mark.parametrize("url", ["ftp://example.com/file", "example.com", "http://[::1"])
async def test_invalid_url(url: str, client: HttpxHttpClient) -> None:
    with pytest.raises(HttpError, match=re.escape(f"invalid URL {url!r}")):
        await client.send(HttpRequest("GET", url))

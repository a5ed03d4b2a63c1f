from __future__ import annotations

from typing import Any

import pytest

from flowstead.engine.ports import HttpResponse
from flowstead.engine.tools import BUILTIN_TOOLS, ToolResult
from tests.unit.nodes.context import TestContext, make_node

from .context import CannedHttp

PAGE = b"""<html><head><title>News</title><script>track()</script></head>
<body><h1>Today</h1><p>It rained.</p></body></html>"""


async def call(name: str, http: CannedHttp, **params: Any) -> ToolResult:
    tool = BUILTIN_TOOLS.get(name)
    assert tool is not None
    ctx = TestContext(node=make_node("tool", {}), http=http)
    return await tool.run(tool.bind(params), ctx)


def page(body: bytes, content_type: str = "text/html", status: int = 200) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": content_type}, body)


async def test_web_fetch_returns_the_readable_text_of_a_page() -> None:
    http = CannedHttp({"https://x.test/": page(PAGE)})
    result = await call("web_fetch", http, url="https://x.test/")
    assert result.text == "News\n\nToday\nIt rained."
    assert result.json == {
        "url": "https://x.test/",
        "status": 200,
        "content_type": "text/html",
        "truncated": False,
    }
    (request,) = http.requests
    assert request.method == "GET"
    assert request.max_response_bytes == 5 * 1024 * 1024
    assert request.headers["User-Agent"].startswith("Flowstead")


async def test_web_fetch_reads_by_content_type_and_charset() -> None:
    http = CannedHttp(
        {
            "https://x.test/a.html": page(b'{"a":1}', "application/json"),
            "https://x.test/ru": page("привет".encode("koi8-r"), "text/plain; charset=koi8-r"),
            "https://x.test/bare": HttpResponse(200, {}, b"just text"),
        }
    )
    assert (await call("web_fetch", http, url="https://x.test/a.html")).text == '{\n  "a": 1\n}'
    assert (await call("web_fetch", http, url="https://x.test/ru")).text == "привет"
    assert (await call("web_fetch", http, url="https://x.test/bare")).text == "just text"


async def test_web_fetch_cuts_long_text() -> None:
    http = CannedHttp({"https://x.test/": page(b"x" * 50, "text/plain")})
    result = await call("web_fetch", http, url="https://x.test/", max_chars="10")
    assert result.text == "x" * 10 + "\n[truncated: 40 more characters]"
    assert result.json["truncated"] is True


@pytest.mark.parametrize(
    ("url", "answer", "error"),
    [
        ("ftp://x.test/", None, "the URL must start with http:// or https://, got 'ftp://x.test/'"),
        (
            "https://down.test/",
            None,
            "could not fetch https://down.test/: could not connect to https://down.test/",
        ),
        (
            "https://x.test/",
            page(b"Not here", "text/plain", 404),
            "https://x.test/ answered HTTP 404: Not here",
        ),
        (
            "https://x.test/",
            page(b"\x00\x01", "text/plain", 500),
            "https://x.test/ answered HTTP 500",
        ),
        (
            "https://x.test/",
            page(b"\x89PNG", "image/png"),
            "cannot read https://x.test/: unsupported file type (image/png); supported: ",
        ),
    ],
)
async def test_web_fetch_failures(url: str, answer: HttpResponse | None, error: str) -> None:
    http = CannedHttp({url: answer} if answer else {})
    result = await call("web_fetch", http, url=url)
    assert result.error is not None
    assert result.error.startswith(error)


async def test_http_get_json_returns_data_and_pretty_text() -> None:
    http = CannedHttp(
        {"https://api.test/v1": page(b'{"temp": 21.5, "city": "Oslo"}', "application/json")}
    )
    result = await call("http_get_json", http, url="https://api.test/v1", headers={"X-Key": "k"})
    assert result.json == {"temp": 21.5, "city": "Oslo"}
    assert result.text == '{\n  "temp": 21.5,\n  "city": "Oslo"\n}'
    assert http.requests[0].headers["X-Key"] == "k"
    assert http.requests[0].headers["Accept"] == "application/json"


async def test_http_get_json_fails_on_text_and_errors() -> None:
    http = CannedHttp(
        {
            "https://api.test/html": page(b"<html>", "text/html"),
            "https://api.test/gone": page(b'{"error": "gone"}', "application/json", 410),
        }
    )
    result = await call("http_get_json", http, url="https://api.test/html")
    assert result.error is not None
    assert result.error.startswith(
        "https://api.test/html did not answer with JSON: Expecting value"
    )
    result = await call("http_get_json", http, url="https://api.test/gone")
    assert result.error == 'https://api.test/gone answered HTTP 410: {"error": "gone"}'

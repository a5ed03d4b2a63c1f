from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import http
from flowstead.engine.ports import FileContent, HttpError, HttpRequest, HttpResponse
from flowstead.providers.http import HttpxHttpClient

from .context import TestContext, make_node

VALUES = {
    "start": {"city": 'Paris "Lumière"', "n": 3, "doc": {"id": "f1", "name": "a.txt"}},
    "env": {"TOKEN": "s3cret"},
}
FILES = {"f1": b"file one", "f2": b"\x00\x01binary"}


@dataclass
class FakeHttp:
    """Records requests; answers each with `response`, or raises `error`."""

    response: HttpResponse = field(default_factory=lambda: HttpResponse(200, {}, b"ok"))
    error: HttpError | None = None
    requests: list[HttpRequest] = field(default_factory=list)

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if self.error:
            raise self.error
        return self.response


@dataclass
class FakeFiles:
    """Uploads by id; `f2` is served as a PNG (as a remote file's Content-Type would say)."""

    async def read(self, file: Mapping[str, Any]) -> FileContent:
        if file["id"] not in FILES:
            raise FileNotFoundError(f"upload {file['id']} is gone")
        return FileContent(FILES[file["id"]], "image/png" if file["id"] == "f2" else "")


async def call(config: dict[str, Any], client: Any = None, **values: Any) -> NodeResult:
    ctx = TestContext(
        node=make_node("http", config),
        values=values or VALUES,
        http=client if client is not None else FakeHttp(),
        files=FakeFiles(),
    )
    return await http.run(msgspec.convert(config, http.HttpConfig), ctx)


async def sent(config: dict[str, Any]) -> HttpRequest:
    fake = FakeHttp()
    result = await call(config, fake)
    assert result.status == "succeeded", result.error
    (request,) = fake.requests
    return request


def multipart_fields(request: HttpRequest) -> list[tuple[str, str | None, str, bytes]]:
    """`(name, filename, content type, bytes)` of each part, as a mail parser reads them."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    assert request.content is not None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    return [
        (
            str(part.get_param("name", header="content-disposition")),
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()  # type: ignore[attr-defined]
    ]


async def test_templates_fill_url_headers_and_params() -> None:
    request = await sent(
        {
            "method": "GET",
            "url": "https://api.example.com/{{ start.n }}/weather",
            "headers": [{"key": "X-City", "value": "{{ start.city }}"}, {"key": "", "value": "x"}],
            "params": [
                {"key": "q", "value": "{{ start.city }}"},
                {"key": "{{ 'k' }}", "value": "v"},
            ],
            "connect_timeout": 2,
            "read_timeout": 5,
            "max_response_bytes": 1000,
        }
    )
    assert (request.method, request.url) == ("GET", "https://api.example.com/3/weather")
    assert request.headers == {"X-City": 'Paris "Lumière"'}
    assert request.params == {"q": 'Paris "Lumière"', "k": "v"}
    assert (request.connect_timeout, request.read_timeout) == (2, 5)
    assert (request.max_response_bytes, request.content) == (1000, None)


async def test_outputs_status_text_body_and_headers_for_any_status() -> None:
    response = HttpResponse(
        404, {"content-type": "text/plain; charset=latin-1"}, "café".encode("latin-1")
    )
    result = await call({"url": "http://x.test/"}, FakeHttp(response))
    assert result.status == "succeeded"
    assert result.outputs == {
        "status_code": 404,
        "body": "café",
        "headers": {"content-type": "text/plain; charset=latin-1"},
    }


async def test_binary_bodies_become_text_with_replacement_characters() -> None:
    response = HttpResponse(200, {"Content-Type": "image/png; charset=bogus"}, b"\x89PNG\xff")
    result = await call({"url": "http://x.test/"}, FakeHttp(response))
    assert result.outputs["body"] == "\ufffdPNG\ufffd"


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [
        ({"type": "bearer", "token": "{{ env.TOKEN }}"}, "Authorization", "Bearer s3cret"),
        (
            {"type": "basic", "username": "ada", "password": "{{ env.TOKEN }}"},
            "Authorization",
            "Basic " + base64.b64encode(b"ada:s3cret").decode(),
        ),
        (
            {"type": "header", "header": "X-Api-Key", "token": "{{ env.TOKEN }}"},
            "X-Api-Key",
            "s3cret",
        ),
    ],
)
async def test_auth_is_sent_but_not_shown(auth: dict[str, Any], header: str, value: str) -> None:
    fake = FakeHttp()
    result = await call({"url": "https://x.test/", "auth": auth}, fake)
    assert fake.requests[0].headers == {header: value}
    assert result.process_data["request"]["headers"] == {header: "***"}
    assert "s3cret" not in json.dumps(result.process_data)


async def test_headers_and_params_that_look_secret_are_hidden_in_the_run_detail() -> None:
    config = {
        "url": "https://x.test/",
        "headers": [{"key": "X-Api-Key", "value": "k1"}, {"key": "Accept", "value": "text/csv"}],
        "params": [{"key": "access_token", "value": "t1"}, {"key": "page", "value": "2"}],
    }
    result = await call(config)
    shown = result.process_data["request"]
    assert shown["headers"] == {"X-Api-Key": "***", "Accept": "text/csv"}
    assert shown["params"] == {"access_token": "***", "page": "2"}


async def test_an_empty_token_fails() -> None:
    result = await call({"url": "https://x.test/", "auth": {"type": "bearer", "token": "  "}})
    assert result.error == "auth: the token is empty (is the variable it reads set?)"


async def test_a_json_body_is_rendered_and_checked() -> None:
    content = '{"city": {{ start.city | tojson }}, "n": {{ start.n }}}'
    request = await sent(
        {"method": "POST", "url": "https://x.test/", "body": {"type": "json", "content": content}}
    )
    assert request.headers == {"Content-Type": "application/json"}
    assert request.content is not None
    assert json.loads(request.content) == {"city": 'Paris "Lumière"', "n": 3}


async def test_a_content_type_header_wins_over_the_default() -> None:
    config = {
        "method": "POST",
        "url": "https://x.test/",
        "headers": [{"key": "content-type", "value": "application/vnd.api+json"}],
        "body": {"type": "json", "content": "{}"},
    }
    assert (await sent(config)).headers == {"content-type": "application/vnd.api+json"}


async def test_an_empty_json_body_sends_nothing() -> None:
    request = await sent(
        {"method": "POST", "url": "https://x.test/", "body": {"type": "json", "content": " "}}
    )
    assert (request.content, request.headers) == (None, {})


async def test_a_body_that_is_not_json_once_rendered_fails_with_a_hint() -> None:
    config = {
        "method": "POST",
        "url": "https://x.test/",
        "body": {"type": "json", "content": '{"city": "{{ start.city }}"}'},
    }
    result = await call(config)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("the body is not valid JSON once rendered (Expecting ")
    assert result.error.endswith("write {{ value | tojson }}")


async def test_a_raw_body_is_sent_as_text() -> None:
    config = {
        "method": "PUT",
        "url": "https://x.test/",
        "body": {"type": "raw", "content": "to {{ start.city }}"},
    }
    request = await sent(config)
    assert request.content == 'to Paris "Lumière"'.encode()
    assert request.headers == {"Content-Type": "text/plain; charset=utf-8"}


async def test_an_urlencoded_body() -> None:
    fields = [{"key": "city", "value": "{{ start.city }}"}, {"key": "n", "value": "{{ start.n }}"}]
    request = await sent(
        {
            "method": "POST",
            "url": "https://x.test/",
            "body": {"type": "urlencoded", "fields": fields},
        }
    )
    assert request.headers == {"Content-Type": "application/x-www-form-urlencoded"}
    assert request.content is not None
    assert parse_qsl(request.content.decode()) == [("city", 'Paris "Lumière"'), ("n", "3")]


async def test_an_urlencoded_body_cannot_carry_files() -> None:
    fields = [{"key": "doc", "value": "start.doc", "type": "file"}]
    result = await call(
        {
            "method": "POST",
            "url": "https://x.test/",
            "body": {"type": "urlencoded", "fields": fields},
        }
    )
    assert result.error == "a urlencoded body cannot carry files: use multipart"


@pytest.mark.parametrize("body_type", ["form", "multipart"])
async def test_form_and_multipart_bodies_carry_text_and_files(body_type: str) -> None:
    values = VALUES | {
        "up": {"files": [{"id": "f1", "name": 'a"b.txt', "mime_type": "text/plain"}, {"id": "f2"}]}
    }
    fields = [
        {"key": "city", "value": "{{ start.city }}"},
        {"key": "doc", "value": "start.doc", "type": "file"},
        {"key": "more", "value": "up.files", "type": "file"},
    ]
    config = {
        "method": "POST",
        "url": "https://x.test/",
        "body": {"type": body_type, "fields": fields},
    }
    fake = FakeHttp()
    result = await call(config, fake, **values)
    assert result.status == "succeeded", result.error
    assert multipart_fields(fake.requests[0]) == [
        ("city", None, "text/plain", 'Paris "Lumière"'.encode()),
        ("doc", "a.txt", "application/octet-stream", b"file one"),
        ("more", "a%22b.txt", "text/plain", b"file one"),
        ("more", "file", "image/png", b"\x00\x01binary"),
    ]
    assert result.process_data["request"]["body"] == (
        'city: Paris "Lumière"\ndoc: <file a.txt, 8 bytes>\n'
        'more: <file a"b.txt, 8 bytes>\nmore: <file file, 8 bytes>'
    )


async def test_a_typed_in_multipart_content_type_gives_way_to_the_one_with_the_boundary() -> None:
    config = {
        "method": "POST",
        "url": "https://x.test/",
        "headers": [{"key": "content-type", "value": "multipart/form-data"}],
        "body": {"type": "multipart", "fields": [{"key": "a", "value": "1"}]},
    }
    request = await sent(config)
    assert list(request.headers) == ["Content-Type"]
    assert multipart_fields(request) == [("a", None, "text/plain", b"1")]


async def test_a_text_only_form_is_still_multipart() -> None:
    config = {
        "method": "POST",
        "url": "https://x.test/",
        "body": {"type": "form", "fields": [{"key": "a", "value": "1"}]},
    }
    request = await sent(config)
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert multipart_fields(request) == [("a", None, "text/plain", b"1")]


@pytest.mark.parametrize(
    ("selector", "error"),
    [
        ("start.nope", "body field `doc`: no value at `start.nope`"),
        ("start.city", "body field `doc`: `start.city` holds a str, not a file"),
        ("gone.doc", "body field `doc`: could not read file 'g.txt': upload g is gone"),
    ],
)
async def test_file_fields_that_cannot_be_sent_fail(selector: str, error: str) -> None:
    values = VALUES | {"gone": {"doc": {"id": "g", "name": "g.txt"}}}
    fields = [{"key": "doc", "value": selector, "type": "file"}]
    config = {
        "method": "POST",
        "url": "https://x.test/",
        "body": {"type": "multipart", "fields": fields},
    }
    assert (await call(config, **values)).error == error


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            {"url": "{{ start.missing }}"},
            "URL: template failed: 'dict object' has no attribute 'missing'",
        ),
        (
            {"url": "ftp://x.test/"},
            "the URL must start with http:// or https://, got 'ftp://x.test/'",
        ),
        ({"url": ""}, "the URL must start with http:// or https://, got ''"),
        (
            {"url": "http://x.test/", "headers": [{"key": "A", "value": "{{ nope.x }}"}]},
            "header `A`: template failed: 'nope' is undefined",
        ),
        (
            {"url": "http://x.test/", "params": [{"key": "{{ x", "value": ""}]},
            "param name: template syntax error on line 1: unexpected end of template,"
            " expected 'end of print statement'.",
        ),
        (
            {"url": "http://x.test/", "body": {"type": "raw", "content": "{{ nope }}"}},
            "body: template failed: 'nope' is undefined",
        ),
    ],
)
async def test_template_and_url_errors_fail_naming_the_field(
    config: dict[str, Any], error: str
) -> None:
    fake = FakeHttp()
    result = await call(config, fake)
    assert (result.status, result.error) == ("failed", error)
    assert fake.requests == []


async def test_transport_errors_fail_with_the_request_named() -> None:
    fake = FakeHttp(error=HttpError("read timed out after 5 s"))
    result = await call({"method": "DELETE", "url": "https://x.test/{{ start.n }}"}, fake)
    assert result.error == "the DELETE request failed: read timed out after 5 s"
    assert result.process_data["request"]["url"] == "https://x.test/3"


class Recorder(BaseHTTPRequestHandler):
    """Answers with a JSON echo of the request; `/big` sends too much, `/slow` takes 0.5 s."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        if self.path == "/big":
            self._send(200, "application/octet-stream", b"x" * 5000)
            return
        if self.path == "/slow":
            time.sleep(0.5)
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        echo = {
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body": body.decode("utf-8", "replace"),
        }
        self._send(201, "application/json; charset=utf-8", json.dumps(echo).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


async def test_a_real_request_through_the_httpx_client(server: str) -> None:
    fields = [
        {"key": "city", "value": "{{ start.city }}"},
        {"key": "doc", "value": "start.doc", "type": "file"},
    ]
    config = {
        "method": "POST",
        "url": server + "/echo",
        "params": [{"key": "q", "value": "{{ start.n }}"}],
        "auth": {"type": "bearer", "token": "{{ env.TOKEN }}"},
        "body": {"type": "multipart", "fields": fields},
    }
    async with HttpxHttpClient() as client:
        result = await call(config, client)
    assert result.status == "succeeded", result.error
    assert result.outputs["status_code"] == 201
    assert result.outputs["headers"]["content-type"] == "application/json; charset=utf-8"
    echo = json.loads(result.outputs["body"])
    assert echo["path"] == "/echo?q=3"
    assert echo["headers"]["Authorization"] == "Bearer s3cret"
    assert 'name="city"\r\n\r\nParis "Lumière"\r\n' in echo["body"]
    assert (
        'filename="a.txt"\r\nContent-Type: application/octet-stream\r\n\r\nfile one' in echo["body"]
    )


async def test_a_response_over_the_cap_fails(server: str) -> None:
    async with HttpxHttpClient() as client:
        result = await call({"url": server + "/big", "max_response_bytes": 1000}, client)
    assert result.error == "the GET request failed: response larger than 1000 bytes"


async def test_a_read_timeout_fails_plainly(server: str) -> None:
    async with HttpxHttpClient() as client:
        result = await call({"url": server + "/slow", "read_timeout": 0.1}, client)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error == f"the GET request failed: timed out: no data from {server}/slow for 0.1s"


async def test_a_refused_connection_fails_plainly() -> None:
    async with HttpxHttpClient() as client:
        result = await call({"url": "http://127.0.0.1:9/", "connect_timeout": 2}, client)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(
        "the GET request failed: could not connect to http://127.0.0.1:9/"
    )

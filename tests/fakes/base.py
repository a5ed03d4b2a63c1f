"""A real HTTP/1.1 server on loopback, run in a background thread, that records requests.

Running in its own thread it serves tests whatever their event loop, and benchmarks too.
Subclasses answer through an `Exchange`, which can stream chunk by chunk, pause, or drop
the connection mid-way.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; header names are lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or None."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class BackgroundServer:
    """Start with `start()` or `with`; `url` is `http://127.0.0.1:<port>`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[RecordedRequest] = []
        self._address = (host, port)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, poll_interval: float = 0.02) -> Self:
        self._stopping.clear()
        self._httpd = _HTTPServer(self._address, _Handler, owner=self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": poll_interval},
            name=f"{type(self).__name__}:{self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; answers still in progress (hangs, slow streams) end at once."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def handle(self, exchange: Exchange) -> None:
        raise NotImplementedError


class Exchange:
    """One request and the means to answer it, plainly or as a chunked stream."""

    def __init__(self, handler: _Handler, request: RecordedRequest, stopping: threading.Event):
        self.request = request
        self._handler = handler
        self._stopping = stopping

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/plain",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._head(
            status, {"Content-Type": content_type, "Content-Length": str(len(body))}, headers
        )
        if self.request.method != "HEAD":
            self._handler.wfile.write(body)

    def send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(value).encode(), "application/json", headers)

    def start_stream(self, content_type: str, status: int = 200) -> None:
        self._head(status, {"Content-Type": content_type, "Transfer-Encoding": "chunked"})

    def write(self, data: bytes) -> None:
        """Send one chunk now (the socket is unbuffered and Nagle is off)."""
        if data:
            self._handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_stream(self) -> None:
        self._handler.wfile.write(b"0\r\n\r\n")

    def drop(self) -> None:
        """Close the connection after this handler returns, whatever was sent so far."""
        self._handler.close_connection = True

    def pause(self, seconds: float) -> bool:
        """Wait; False if the server is stopping (the caller should drop and return)."""
        return seconds <= 0 or not self._stopping.wait(seconds)

    def _head(self, status: int, fixed: dict[str, str], extra: dict[str, str] | None = None):
        self._handler.send_response(status)
        for name, value in {**fixed, **(extra or {})}.items():
            self._handler.send_header(name, value)
        self._handler.end_headers()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], handler: type[_Handler], owner: BackgroundServer):
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (timeouts, cancelled streams) is expected, not an error.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections end after this
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        owner = self.server.owner
        owner.requests.append(request)
        owner.handle(Exchange(self, request, owner._stopping))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

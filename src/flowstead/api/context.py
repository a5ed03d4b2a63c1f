"""A request id on every request and response, in every log line, and one access line
(with the status and the duration in milliseconds).

This wraps the application's whole ASGI handler rather than being a Litestar middleware:
Litestar applies middleware per route, so 404s, 405s and CORS preflights would go
without an id.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import cast

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from flowstead import logs

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept when it is short and plain, so it cannot forge log content.
_ACCEPTABLE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("flowstead.api.access")


def _incoming_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _ACCEPTABLE_ID.match(value):
            return value.decode()
    return uuid.uuid4().hex


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(cast("HTTPScope", scope), receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        request_id = _incoming_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        with logs.bind(request_id=request_id, method=scope["method"], path=scope["path"]):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                duration = round((time.perf_counter() - started) * 1000, 3)
                access_log.info("request", extra={"status": status, "duration": duration})

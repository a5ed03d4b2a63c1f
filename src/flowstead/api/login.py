"""The login page (`GET`/`POST /login`) and `POST /logout`, with failed logins limited per
client address: after `MAX_FAILURES` wrong passwords within `WINDOW_SECONDS`, every attempt
from that address is answered 429 with `Retry-After` until the oldest failure ages out.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from functools import cache
from typing import Any

import jinja2
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Redirect

from flowstead.api.errors import error_response
from flowstead.api.session import (
    CSRF_FIELD,
    csrf_ok,
    csrf_token,
    log_in,
    log_out,
    logged_in,
)
from flowstead.services.auth import InstancePassword
from flowstead.web.paths import TEMPLATES

log = logging.getLogger("flowstead.api.login")

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
MAX_TRACKED = 10_000  # addresses remembered at once; the oldest are forgotten first

AnyRequest = Request[Any, Any, Any]


class LoginLimiter:
    """Counts failed logins per client address in a sliding window."""

    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.get(address, deque())
        horizon = self._clock() - self._window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures

    def retry_after(self, address: str) -> int:
        """Seconds until this address may try again; 0 when it may try now."""
        failures = self._recent(address)
        if len(failures) < self._max:
            return 0
        return max(1, int(failures[-self._max] + self._window - self._clock()) + 1)

    def failed(self, address: str) -> None:
        failures = self._recent(address)
        failures.append(self._clock())
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def safe_next(target: str | None) -> str:
    """A same-site path to go to after logging in; anything else becomes `/`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _client(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


def _page(
    request: AnyRequest,
    *,
    status: int = 200,
    error: str = "",
    target: str = "/",
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    html = (
        _environment()
        .get_template("auth/login.html")
        .render(error=error, next=target, csrf_token=csrf_token(request), csrf_field=CSRF_FIELD)
    )
    return Response(
        html.encode(),
        status_code=status,
        media_type="text/html",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


class LoginController(Controller):
    tags = ("auth",)
    include_in_schema = False

    @get("/login", security=[])
    async def login_page(
        self, request: AnyRequest, next: FromQuery[str | None] = None
    ) -> Response[Any]:
        target = safe_next(next)
        if logged_in(request):
            return Redirect(target, status_code=303)
        return _page(request, target=target)

    @post("/login", security=[], status_code=303)
    async def login(self, request: AnyRequest, state: State) -> Response[Any]:
        form = await request.form()
        target = safe_next(form.get("next"))
        address = _client(request)
        limiter: LoginLimiter = state.login_limiter
        wait = limiter.retry_after(address)
        if wait:
            log.warning("login refused: too many failures", extra={"client": address})
            return _page(
                request,
                status=429,
                error=f"Too many wrong passwords. Try again in {wait} seconds.",
                target=target,
                headers={"Retry-After": str(wait)},
            )
        if not await csrf_ok(request):
            # No session cookie came back, or the page is older than the session.
            return _page(
                request,
                status=403,
                error="The login form expired (or cookies are off). Please try again.",
                target=target,
            )
        password: InstancePassword = state.password
        candidate = form.get("password")
        if not isinstance(candidate, str) or not await password.verify(candidate):
            limiter.failed(address)
            log.warning("login failed", extra={"client": address})
            return _page(request, status=401, error="Wrong password.", target=target)
        limiter.succeeded(address)
        log_in(request)
        log.info("login", extra={"client": address})
        return Redirect(target, status_code=303)

    @post("/logout", security=[], status_code=303)
    async def logout(self, request: AnyRequest) -> Response[Any]:
        if logged_in(request):
            if not await csrf_ok(request):
                return error_response(403, "CSRF token missing or wrong.", "csrf_failed")
            log_out(request)
            log.info("logout", extra={"client": _client(request)})
        return Redirect("/login", status_code=303)

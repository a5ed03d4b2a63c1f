"""Browser sessions: an encrypted, signed HttpOnly cookie the canvas and `/api/*` accept.

The cookie is Litestar's client-side session (AES-GCM, so it is both secret and tamper
proof) under a key generated once into `<data_dir>/session.key` (mode 0600); deleting that
file and restarting signs every browser out. After a login the session holds
`{"admin": true, "csrf": <token>}`.

CSRF: a state-changing request (POST, PUT, PATCH, DELETE) that authenticates with the
session cookie must carry the session's token, in the `X-CSRF-Token` header or a `_csrf`
form field; otherwise it is refused with 403. Requests with `Authorization: Bearer` are
exempt (a browser never adds that header on its own). A page puts the token in once and
htmx sends it with every request:

    <meta name="csrf-token" content="{{ csrf_token }}">
    <body hx-headers='{"X-CSRF-Token": "{{ csrf_token }}"}'>

with `csrf_token = csrf_token(request)` in the template context, and a plain form adds
`<input type="hidden" name="_csrf" value="{{ csrf_token }}">`.

Pages guard themselves with `require_login`: without a session a browser is redirected to
`/login?next=<where it was going>` (htmx requests get `HX-Redirect`).
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.handlers import BaseRouteHandler
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.response import Redirect

from flowstead.api.auth import Admin, Authenticator, Connection
from flowstead.api.errors import ApiError

KEY_FILE = "session.key"
SESSION_COOKIE = "flowstead_session"
SESSION_MAX_AGE = 7 * 24 * 3600
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def session_key(data_dir: Path) -> bytes:
    """The 32-byte session key, created (mode 0600) on first use by whichever process
    gets there first; the others read the same key."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # A private temp file linked into place: the link fails if another process won
        # the race, and nobody ever reads a half-written key.
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(32))
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_bytes()
    if len(key) != 32:
        raise RuntimeError(f"{path} is not a 32-byte session key; delete it to make a new one")
    return key


def session_config(data_dir: Path) -> CookieBackendConfig:
    return CookieBackendConfig(
        secret=session_key(data_dir),
        key=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
    )


def _session(connection: Connection) -> dict[str, Any]:
    session = connection.scope.get("session")
    return session if isinstance(session, dict) else {}


def csrf_token(connection: Connection) -> str:
    """This session's CSRF token, made (and kept in the session) on first use."""
    session = _session(connection)
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        connection.set_session({**session, "csrf": token})
    return token


def logged_in(connection: Connection) -> bool:
    return _session(connection).get("admin") is True


def log_in(connection: Connection) -> None:
    """A fresh session (and CSRF token) for the administrator."""
    connection.set_session({"admin": True, "csrf": secrets.token_urlsafe(32)})


def log_out(connection: Connection) -> None:
    connection.clear_session()


async def csrf_ok(connection: Connection) -> bool:
    """Whether the request carries this session's CSRF token (header, or form field)."""
    expected = _session(connection).get("csrf")
    if not isinstance(expected, str) or not expected:
        return False
    sent = connection.headers.get(CSRF_HEADER)
    content_type = connection.headers.get("content-type", "")
    if sent is None and content_type.startswith(FORM_TYPES):
        # Litestar caches the body on the connection, so the handler can still read it.
        form = await Request[Any, Any, Any](connection.scope, connection.receive).form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


class SessionBackend:
    """An admin by the session cookie; unsafe methods must also prove the CSRF token."""

    async def authenticate(self, connection: Connection) -> Admin | None:
        if not logged_in(connection):
            return None
        if connection.scope.get("method", "GET") not in SAFE_METHODS and not await csrf_ok(
            connection
        ):
            raise ApiError(
                403,
                "CSRF token missing or wrong: send the page's token as X-CSRF-Token.",
                code="csrf_failed",
            )
        return Admin(via="session")


class LoginRequired(Exception):
    """A page was asked for without a session; answered with a redirect to /login."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def _target(connection: Connection) -> str:
    query = connection.scope.get("query_string", b"").decode("latin-1")
    return connection.scope["path"] + (f"?{query}" if query else "")


async def require_login(connection: Connection, _: BaseRouteHandler) -> None:
    """Guard for pages: an admin (session or bearer) or a redirect to the login page."""
    auth: Authenticator = connection.app.state.auth
    admin = await auth.admin(connection)
    if admin is None:
        raise LoginRequired(_target(connection))
    connection.scope["auth"] = admin


def login_url(target: str) -> str:
    return "/login" if target in ("", "/") else f"/login?next={quote(target, safe='/')}"


def login_redirect(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    """The exception handler for `LoginRequired`."""
    url = login_url(exc.target)
    if request.headers.get("hx-request") == "true":
        # htmx would swap the login page into a fragment; have it load the whole page.
        return Response(content=b"", status_code=401, headers={"HX-Redirect": url})
    return Redirect(url, status_code=303)

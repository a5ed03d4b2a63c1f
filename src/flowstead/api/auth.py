"""Who is calling: admin principals for `/api/*`, app keys for `/v1/*`.

The admin side is a chain of backends, each answering "an admin" or "not me"; a session
backend for browsers slots in beside the bearer ones. Guards are plain functions that
put the principal in `scope["auth"]` or raise 401.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers import BaseRouteHandler

from flowstead.api.errors import ApiError
from flowstead.services.auth import InstancePassword
from flowstead.store.protocol import Store
from flowstead.store.records import ApiKey
from flowstead.store.tokens import ADMIN_TOKEN_PREFIX, APP_KEY_PREFIX

Connection = ASGIConnection[Any, Any, Any, Any]


@dataclass(frozen=True)
class Admin:
    """An authenticated administrator and how they proved it."""

    via: Literal["password", "token", "session"]
    token_id: str | None = None


class AdminBackend(Protocol):
    async def authenticate(self, connection: Connection) -> Admin | None: ...


def bearer(connection: Connection) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    value = connection.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class BearerAdminToken:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def authenticate(self, connection: Connection) -> Admin | None:
        token = bearer(connection)
        if token is None or not token.startswith(ADMIN_TOKEN_PREFIX):
            return None
        record = await self._store.admin_tokens.verify(token)
        return None if record is None else Admin(via="token", token_id=record.id)


class FailureLimiter(Protocol):
    """Counts wrong passwords per client address (the login form's limiter)."""

    def retry_after(self, address: str) -> int: ...
    def failed(self, address: str) -> None: ...
    def succeeded(self, address: str) -> None: ...


class BearerPassword:
    """The instance password as a Bearer token; wrong guesses count against the same
    per-address limit as the login form, so the API is no way around it."""

    def __init__(self, password: InstancePassword, limiter: FailureLimiter | None = None) -> None:
        self._password = password
        self._limiter = limiter

    async def authenticate(self, connection: Connection) -> Admin | None:
        token = bearer(connection)
        if token is None or token.startswith((ADMIN_TOKEN_PREFIX, APP_KEY_PREFIX)):
            return None
        address = connection.client.host if connection.client else "unknown"
        if self._limiter is not None and (wait := self._limiter.retry_after(address)):
            raise TooManyRequestsException(
                detail=f"Too many wrong passwords. Try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
        if await self._password.verify(token):
            return Admin(via="password")
        if self._limiter is not None:
            self._limiter.failed(address)
        return None


class Authenticator:
    """Held in `app.state.auth`; the guards ask it."""

    def __init__(self, store: Store, admin_backends: Sequence[AdminBackend]) -> None:
        self._store = store
        self._admin_backends = tuple(admin_backends)

    async def admin(self, connection: Connection) -> Admin | None:
        for backend in self._admin_backends:
            admin = await backend.authenticate(connection)
            if admin is not None:
                return admin
        return None

    async def app_key(self, connection: Connection) -> ApiKey | None:
        token = bearer(connection)
        if token is None or not token.startswith(APP_KEY_PREFIX):
            return None
        return await self._store.api_keys.verify(token)


def _authenticator(connection: Connection) -> Authenticator:
    auth: Authenticator = connection.app.state.auth
    return auth


def _unauthorized(connection: Connection, what: str) -> ApiError:
    if bearer(connection) is None:
        message = "Authorization header must be provided and start with 'Bearer'."
    else:
        message = f"Access token is invalid: {what} expected."
    return ApiError(401, message)


async def require_admin(connection: Connection, _: BaseRouteHandler) -> None:
    admin = await _authenticator(connection).admin(connection)
    if admin is None:
        raise _unauthorized(connection, "the instance password or an admin token (fst-…)")
    connection.scope["auth"] = admin


async def require_app_key(connection: Connection, _: BaseRouteHandler) -> None:
    key = await _authenticator(connection).app_key(connection)
    if key is None:
        raise _unauthorized(connection, "a valid app key (app-…)")
    connection.scope["auth"] = key


def provide_app_key(request: Connection) -> ApiKey:
    """The app key `require_app_key` accepted; `/v1/*` handlers take it as `app_key`."""
    key: ApiKey = request.scope["auth"]
    return key

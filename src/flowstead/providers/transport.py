"""HTTP plumbing every provider adapter shares: auth, timeouts, retries and error mapping.

Retries (connect errors, 408, 429, 5xx) happen only while opening a request, before any
chunk reached the caller, so streamed text is never duplicated.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal, TypeVar

import httpx

from flowstead.engine.ports import ChatChunk, LLMError
from flowstead.providers.config import ProviderConfig, SecretLookup
from flowstead.providers.errors import describe_transport_error, error_message
from flowstead.providers.framing import (
    StreamFailure,
    StreamParser,
    ndjson_events,
    sse_events,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
AuthHeaders = Callable[[str | None], dict[str, str]]
Framing = Literal["sse", "ndjson"]

_RETRYABLE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
_MAX_ERROR_BODY = 64 * 1024


async def resolve(value: T | Awaitable[T]) -> T:
    """Await `value` if a lookup returned an awaitable (lookups may be sync or async)."""
    if inspect.isawaitable(value):
        return await value
    return value


class Transport:
    """Sends one provider's requests through a shared httpx client."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: ProviderConfig,
        secrets: SecretLookup,
        auth: AuthHeaders,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config
        self._client = client
        self._secrets = secrets
        self._auth = auth
        self._sleep = sleep
        options = config.options
        self._timeout = httpx.Timeout(
            connect=options.connect_timeout,
            read=options.read_timeout,
            write=options.read_timeout,
            pool=options.connect_timeout,
        )

    def error(self, model: str, message: str, status: int | None = None) -> LLMError:
        return LLMError(self.config.id, model, message, status=status)

    async def stream_chat(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        model: str,
        parser: StreamParser,
        framing: Framing,
    ) -> AsyncIterator[ChatChunk]:
        """POST `payload` and yield the ChatChunks `parser` makes of the streamed events."""
        async with self._open("POST", path, model=model, json=payload) as response:
            split = sse_events if framing == "sse" else ndjson_events
            try:
                async for event, data in split(response.aiter_lines()):
                    for chunk in parser.feed(event, data):
                        yield chunk
                for chunk in parser.end():
                    yield chunk
            except StreamFailure as exc:
                raise self.error(model, str(exc)) from exc

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        model: str,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """Send a small request and return its decoded JSON body."""
        async with self._open(method, path, model=model, json=json, params=params) as response:
            body = await response.aread()
        try:
            return response.json() if body else None
        except ValueError as exc:
            raise self.error(model, f"malformed response body: {body[:200]!r}") from exc

    @asynccontextmanager
    async def _open(
        self,
        method: str,
        path: str,
        *,
        model: str,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        url = self.config.base_url.rstrip("/") + path
        try:
            request = self._client.build_request(
                method,
                url,
                json=json,
                params=params,
                headers=await self._headers(),
                timeout=self._timeout,
            )
        except httpx.InvalidURL as exc:
            raise self.error(model, f"invalid URL {url!r}: {exc}") from exc
        response = await self._send_with_retries(request, model)
        try:
            yield response
        except httpx.HTTPError as exc:
            raise self.error(model, self._describe_broken_stream(exc)) from exc
        finally:
            await response.aclose()

    async def _send_with_retries(self, request: httpx.Request, model: str) -> httpx.Response:
        retries = self.config.options.max_retries
        attempt = 0
        while True:
            try:
                response = await self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                message = describe_transport_error(exc, self._timeout)
                if not isinstance(exc, _RETRYABLE_ERRORS) or attempt == retries:
                    raise self.error(model, message) from exc
                delay = self._backoff(attempt)
            else:
                if response.is_success:
                    return response
                status = response.status_code
                message = f"HTTP {status}: {error_message(await _read_some(response))}"
                retry_delay = self._retry_delay(response, attempt)
                if retry_delay is None or attempt == retries:
                    raise self.error(model, message, status=status)
                delay = retry_delay
            log.warning("%s (%s): %s; retrying in %.2fs", self.config.id, model, message, delay)
            await self._sleep(delay)
            attempt += 1

    async def _headers(self) -> dict[str, str]:
        name = self.config.api_key_secret
        key = await resolve(self._secrets(name)) if name else None
        return {**self._auth(key), **self.config.options.headers}

    def _backoff(self, attempt: int) -> float:
        options = self.config.options
        ceiling = min(options.backoff_max, options.backoff_base * 2**attempt)
        return ceiling * random.uniform(0.5, 1.0)

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying this response, or None if it is not retryable."""
        status = response.status_code
        if status not in (408, 429) and status < 500:
            return None
        asked = retry_after(response.headers)
        if asked is None:
            return self._backoff(attempt)
        # A server asking for a long wait (a spent quota) gets a clear failure instead.
        return asked if asked <= self.config.options.max_retry_after else None

    def _describe_broken_stream(self, exc: httpx.HTTPError) -> str:
        if isinstance(exc, httpx.TimeoutException):
            return describe_transport_error(exc, self._timeout)
        return f"stream ended before completion ({exc})"


def retry_after(headers: httpx.Headers) -> float | None:
    """The wait a server asked for in `retry-after-ms` or `Retry-After` (seconds or a date)."""
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def _read_some(response: httpx.Response) -> bytes:
    """Up to 64 KiB of an error response's body (enough for its message), then close it."""
    body = b""
    try:
        async for piece in response.aiter_bytes():
            body += piece
            if len(body) >= _MAX_ERROR_BODY:
                break
    except httpx.HTTPError:
        pass  # the status alone still says what went wrong
    finally:
        await response.aclose()
    return body

"""The engine's `HttpClient` port over one pooled httpx client."""

from __future__ import annotations

import functools
import ssl
from types import TracebackType

import httpx

from flowstead.engine.ports import HttpError, HttpRequest, HttpResponse
from flowstead.providers.errors import describe_transport_error


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every client in this process shares, as httpx would make
    for each: loading the CA bundle costs 50 ms of CPU and over 1 MB every time."""
    return httpx.create_ssl_context()


class HttpxHttpClient:
    """Sends the HTTP node's requests; follows redirects, caps the response size."""

    def __init__(self) -> None:
        self._pool: httpx.AsyncClient | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        # Made on the first request: most processes that hold one never send any.
        if self._pool is None:
            self._pool = httpx.AsyncClient(follow_redirects=True, verify=tls_context())
        return self._pool

    async def send(self, request: HttpRequest) -> HttpResponse:
        timeout = httpx.Timeout(
            connect=request.connect_timeout,
            read=request.read_timeout,
            write=request.read_timeout,
            pool=request.connect_timeout,
        )
        try:
            # httpx would replace the URL's own query with `params`; merge them instead.
            url = httpx.URL(request.url).copy_merge_params(request.params)
            built = self._client.build_request(
                request.method.upper(),
                url,
                headers=request.headers,
                content=request.content,
                json=request.json,
                data=request.data,
                files=request.files,
                timeout=timeout,
            )
            response = await self._client.send(built, stream=True)
            try:
                body = await _read_capped(response, request.max_response_bytes)
            finally:
                await response.aclose()
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise HttpError(f"invalid URL {request.url!r}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise HttpError(describe_transport_error(exc, timeout)) from exc
        return HttpResponse(
            status=response.status_code, headers=dict(response.headers.items()), body=body
        )

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def __aenter__(self) -> HttpxHttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    too_large = HttpError(f"response larger than {limit} bytes")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    parts: list[bytes] = []
    size = 0
    async for part in response.aiter_bytes():
        size += len(part)
        if size > limit:
            raise too_large
        parts.append(part)
    return b"".join(parts)

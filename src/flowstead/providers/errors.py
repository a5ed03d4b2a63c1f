"""Turning transport failures and error bodies into messages a person can act on."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

_MAX_MESSAGE = 300


def describe_transport_error(exc: httpx.HTTPError, timeout: httpx.Timeout) -> str:
    """Say what went wrong on the wire, with the timeout that expired if one did."""
    url = _url_of(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect to {url} within {timeout.connect}s"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {url}: {exc or 'connection refused'}"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out: no data from {url} for {timeout.read}s"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timed out sending the request to {url}"
    if isinstance(exc, httpx.PoolTimeout):
        return f"timed out waiting for a free connection to {url}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"invalid URL: {exc}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{url} closed the connection: {exc}"
    return f"request to {url} failed: {type(exc).__name__}: {exc}".rstrip(": ")


def error_message(body: bytes) -> str:
    """The server's own error message from an error response body, or the body itself."""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return _clip(body.decode("utf-8", "replace").strip()) or "(empty body)"
    return _clip(_message_in(data) or body.decode("utf-8", "replace").strip())


def _message_in(data: Any) -> str | None:
    # OpenAI/Anthropic: {"error": {"message": ...}}; Ollama: {"error": "..."};
    # vLLM (older) and others: {"message": ...} or {"detail": ...}.
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    for key in ("message", "detail"):
        if isinstance(data.get(key), str):
            return str(data[key])
    return None


def _url_of(exc: httpx.HTTPError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # raised when the error carries no request
        return "the server"
    return str(url.copy_with(query=None))


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"

from __future__ import annotations

import httpx
import pytest

from flowstead.providers.errors import error_message
from flowstead.providers.transport import retry_after


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error": {"message": "Incorrect API key", "type": "auth"}}', "Incorrect API key"),
        (b'{"error": "model \'x\' not found"}', "model 'x' not found"),
        (
            b'{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
            "Overloaded",
        ),
        (b'{"object": "error", "message": "bad request", "code": 400}', "bad request"),
        (b'{"detail": "Not Found"}', "Not Found"),
        (b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
        (b"", "(empty body)"),
    ],
)
def test_error_message_finds_the_servers_words(body: bytes, message: str) -> None:
    assert error_message(body) == message


def test_a_long_error_body_is_clipped() -> None:
    assert len(error_message(b"x" * 5000)) == 301


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "0.5"}, 0.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(httpx.Headers(headers)) == seconds

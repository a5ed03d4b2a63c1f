"""A loopback web server serving fixed pages: path → (content type, body); 404 otherwise."""

from __future__ import annotations

from tests.fakes.base import BackgroundServer, Exchange


class PageServer(BackgroundServer):
    """Serves `pages` (a path without its query → content type and body) on loopback."""

    def __init__(self, pages: dict[str, tuple[str, bytes]]) -> None:
        super().__init__()
        self.pages = pages

    def handle(self, exchange: Exchange) -> None:
        content_type, body = self.pages.get(exchange.request.path, ("text/plain", b""))
        exchange.send(200 if body else 404, body or b"not here", content_type)

"""The web as the corpus workflows see it in tests: a loopback server that answers like the
APIs their HTTP nodes call, and an `HttpClient` that sends every request there.

The corpus files call public APIs and hosts on their authors' LANs by literal URLs, so no
environment variable can point them elsewhere. `LoopbackHttp` keeps the document as it is
and moves each request onto the fake, with the original host as the first path segment:
`https://api.example.com/v1/x?q=1` becomes `<fake>/api.example.com/v1/x?q=1`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec

from flowstead.engine.ports import HttpClient, HttpRequest, HttpResponse
from tests.fakes.base import BackgroundServer, Exchange


@dataclass(frozen=True)
class Page:
    """An answer of the fake web: JSON for a mapping or list, text for a string."""

    body: Any
    status: int = 200


class FakeWeb(BackgroundServer):
    """Answers `<host>/<path>` by the longest matching prefix in `pages`; 404 otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: Mapping[str, Page] = {}
        # What was asked for that no page answers.
        self.misses: list[str] = []

    def handle(self, exchange: Exchange) -> None:
        wanted = exchange.request.path.lstrip("/")
        matches = [prefix for prefix in self.pages if wanted.startswith(prefix)]
        if not matches:
            self.misses.append(wanted)
            exchange.send(404, f"no fake page for {wanted}".encode())
            return
        page = self.pages[max(matches, key=len)]
        if isinstance(page.body, str):
            exchange.send(page.status, page.body.encode(), "text/plain; charset=utf-8")
        else:
            body = json.dumps(page.body, ensure_ascii=False).encode()
            exchange.send(page.status, body, "application/json")


class LoopbackHttp:
    """An `HttpClient` that sends each request to `root` instead of the host it names,
    except those to the fake servers in `direct` (the search tools' SearXNG and MediaWiki,
    which the run's tool settings name)."""

    def __init__(self, inner: HttpClient, root: str, direct: tuple[str, ...] = ()) -> None:
        self._inner = inner
        self._root = root.rstrip("/")
        self._direct = tuple(url.rstrip("/") + "/" for url in direct)

    async def send(self, request: HttpRequest) -> HttpResponse:
        if request.url.startswith(self._direct):
            return await self._inner.send(request)
        url = urlsplit(request.url)
        moved = f"{self._root}/{url.netloc}{url.path}" + (f"?{url.query}" if url.query else "")
        return await self._inner.send(msgspec.structs.replace(request, url=moved))

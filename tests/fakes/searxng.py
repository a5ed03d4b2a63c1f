"""`FakeSearXNG`: answers `GET /search?q=…&format=json` as a SearXNG instance does.

`results` are the search results every query gets (SearXNG's fields: title, url, content,
engine, engines, score, category…), by default three made from the query; `answer` replaces
the next answers with (status, body) — a 5xx, broken JSON. A request without `format=json`
gets 403, as from an instance whose settings.yml does not offer JSON.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.base import BackgroundServer, Exchange


def result(title: str, url: str, content: str = "", **extra: Any) -> dict[str, Any]:
    """One result as SearXNG's JSON writes it."""
    return {
        "url": url,
        "title": title,
        "content": content,
        "engine": "duckduckgo",
        "engines": ["duckduckgo", "brave"],
        "positions": [1],
        "score": 1.0,
        "category": "general",
        "parsed_url": ["https", url.split("/")[2], "/", "", "", ""],
        "template": "default.html",
        "publishedDate": None,
        "thumbnail": "",
        "priority": "",
    } | extra


class FakeSearXNG(BackgroundServer):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[dict[str, Any]] | None = None
        self.unresponsive: list[list[str]] = []
        self.answer: tuple[int, bytes] | None = None

    def handle(self, exchange: Exchange) -> None:
        request = exchange.request
        if self.answer is not None:
            status, body = self.answer
            return exchange.send(status, body, "application/json")
        if request.path.rstrip("/") != "/search":
            return exchange.send(404, b"Not Found", "text/html")
        if request.query.get("format") != "json":
            return exchange.send(403, b"Forbidden", "text/html")
        query = request.query.get("q", "")
        results = self.results if self.results is not None else self.default_results(query)
        exchange.send(
            200,
            json.dumps(
                {
                    "query": query,
                    "number_of_results": 0,
                    "results": results,
                    "answers": [],
                    "corrections": [],
                    "infoboxes": [],
                    "suggestions": [],
                    "unresponsive_engines": self.unresponsive,
                },
                ensure_ascii=False,
            ).encode(),
            "application/json",
        )

    @staticmethod
    def default_results(query: str) -> list[dict[str, Any]]:
        return [
            result(f"{query}: page {n}", f"https://example.org/page-{n}", f"About {query} ({n}).")
            for n in (1, 2, 3)
        ]

"""`FakeMediaWiki`: the MediaWiki Action API of Wikipedias at `/<lang>/w/api.php`.

It answers `action=query&list=search` (articles whose title or text holds a word of
`srsearch`, up to `srlimit`) and `action=query&prop=extracts|info` for `pageids` (plain text
introductions, `fullurl` with `inprop=url`), in `formatversion` 2 or 1, with MediaWiki's
`{"error": {"code", "info"}}` (status 200) for anything else. `articles[lang]` maps titles to
introductions; `answer` replaces the next answers with (status, body).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from tests.fakes.base import BackgroundServer, Exchange


class FakeMediaWiki(BackgroundServer):
    def __init__(self, articles: dict[str, dict[str, str]] | None = None) -> None:
        super().__init__()
        self.articles = articles or {}
        self.answer: tuple[int, bytes] | None = None

    def handle(self, exchange: Exchange) -> None:
        if self.answer is not None:
            status, body = self.answer
            return exchange.send(status, body, "application/json")
        lang, _, rest = exchange.request.path.strip("/").partition("/")
        if rest != "w/api.php":
            return exchange.send(404, b"Not Found", "text/html")
        query = exchange.request.query
        pages = [
            {"pageid": 1000 + n, "ns": 0, "title": title, "extract": text}
            for n, (title, text) in enumerate(self.articles.get(lang, {}).items())
        ]
        if query.get("action") != "query":
            value = _error("badvalue", 'Unrecognized value for parameter "action".')
        elif query.get("list") == "search" and "srsearch" in query:
            value = _search(pages, query["srsearch"], int(query.get("srlimit", "10")))
        elif "extracts" in query.get("prop", "").split("|") and "pageids" in query:
            wanted = {int(i) for i in query["pageids"].split("|")}
            found = [_page(p, lang, query) for p in pages if p["pageid"] in wanted]
            version2 = query.get("formatversion") == "2"
            listed = found if version2 else {str(p["pageid"]): p for p in found}
            value = {"batchcomplete": True if version2 else "", "query": {"pages": listed}}
        else:
            value = _error("invalidparammix", "The parameters could not be used together.")
        exchange.send(200, json.dumps(value, ensure_ascii=False).encode(), "application/json")


def _search(pages: list[dict[str, Any]], search: str, limit: int) -> dict[str, Any]:
    words = [w.lower() for w in re.findall(r"\w+", search)]
    hits = [p for p in pages if any(w in (p["title"] + " " + p["extract"]).lower() for w in words)]
    return {
        "batchcomplete": True,
        "continue": {"sroffset": limit, "continue": "-||"} if len(hits) > limit else {},
        "query": {
            "searchinfo": {"totalhits": len(hits)},
            "search": [
                {
                    "ns": 0,
                    "title": p["title"],
                    "pageid": p["pageid"],
                    "snippet": f'<span class="searchmatch">{p["title"]}</span> &quot;…&quot;',
                }
                for p in hits[:limit]
            ],
        },
    }


def _page(page: dict[str, Any], lang: str, query: dict[str, str]) -> dict[str, Any]:
    answer = {**page, "contentmodel": "wikitext", "pagelanguage": lang}
    if query.get("exintro") is None:
        answer["extract"] = page["extract"] + "\n\n== History ==\nMore of the article."
    if query.get("inprop") == "url":
        url = f"https://{lang}.wikipedia.org/wiki/{quote(page['title'].replace(' ', '_'))}"
        answer |= {"fullurl": url, "canonicalurl": url, "editurl": url + "?action=edit"}
    return answer


def _error(code: str, info: str) -> dict[str, Any]:
    return {"error": {"code": code, "info": info, "*": "See the API help."}, "servedby": "fake"}

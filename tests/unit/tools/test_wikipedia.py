from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from flowstead.engine.ports import HttpRequest, HttpResponse
from flowstead.engine.tools import BUILTIN_TOOLS, ToolResult, ToolSettings
from tests.unit.nodes.context import TestContext, make_node

API = "https://{lang}.wiki.test/w/api.php"
SEARCH = {
    "batchcomplete": True,
    "query": {
        "searchinfo": {"totalhits": 2},
        "search": [
            {"ns": 0, "title": "Otter", "pageid": 2, "snippet": '<span class="x">Otter</span>s'},
            {"ns": 0, "title": "Sea otter", "pageid": 7, "snippet": "The sea &amp; otters"},
        ],
    },
}
PAGES = [
    {
        "pageid": 7,
        "ns": 0,
        "title": "Sea otter",
        "extract": "The sea otter lives at sea.\n",
        "fullurl": "https://en.wiki.test/wiki/Sea_otter",
    },
    {
        "pageid": 2,
        "ns": 0,
        "title": "Otter",
        "extract": "Otters are mammals.",
        "fullurl": "https://en.wiki.test/wiki/Otter",
    },
]


class MediaWikiHttp:
    """Answers by the `list`/`prop` of the request with canned JSON values."""

    def __init__(self, search: Any = SEARCH, pages: Any = None, status: int = 200) -> None:
        self.search, self.status = search, status
        self.pages = {"batchcomplete": True, "query": {"pages": PAGES}} if pages is None else pages
        self.requests: list[HttpRequest] = []

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        query = dict(parse_qsl(urlsplit(request.url).query))
        value = self.search if query.get("list") == "search" else self.pages
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        return HttpResponse(self.status, {"Content-Type": "application/json"}, body)


async def lookup(http: MediaWikiHttp, **params: Any) -> ToolResult:
    tool = BUILTIN_TOOLS.get("wikipedia_search")
    assert tool is not None
    settings = ToolSettings(wikipedia_api_url=API)
    ctx = TestContext(node=make_node("tool", {}), http=http, tool_settings=settings)
    return await tool.run(tool.bind(params), ctx)


def queries(http: MediaWikiHttp) -> list[tuple[str, dict[str, str]]]:
    urls = [urlsplit(r.url) for r in http.requests]
    return [(f"{u.scheme}://{u.netloc}{u.path}", dict(parse_qsl(u.query))) for u in urls]


async def test_searches_then_reads_the_introductions_in_search_order() -> None:
    http = MediaWikiHttp()
    result = await lookup(http, query="otters")
    assert result.error is None
    assert result.json == [
        {
            "title": "Otter",
            "pageid": 2,
            "url": "https://en.wiki.test/wiki/Otter",
            "extract": "Otters are mammals.",
        },
        {
            "title": "Sea otter",
            "pageid": 7,
            "url": "https://en.wiki.test/wiki/Sea_otter",
            "extract": "The sea otter lives at sea.",
        },
    ]
    assert result.text == (
        "Otter\nhttps://en.wiki.test/wiki/Otter\nOtters are mammals.\n\n"
        "Sea otter\nhttps://en.wiki.test/wiki/Sea_otter\nThe sea otter lives at sea."
    )
    search, extracts = queries(http)
    assert search == (
        "https://en.wiki.test/w/api.php",
        {
            "action": "query",
            "list": "search",
            "srsearch": "otters",
            "srlimit": "3",
            "srprop": "snippet",
            "format": "json",
            "formatversion": "2",
        },
    )
    assert extracts[1] | {} == {
        "action": "query",
        "prop": "extracts|info",
        "pageids": "2|7",
        "exintro": "1",
        "explaintext": "1",
        "exlimit": "max",
        "inprop": "url",
        "format": "json",
        "formatversion": "2",
    }


async def test_the_language_picks_the_wikipedia_and_num_results_the_count() -> None:
    http = MediaWikiHttp()
    await lookup(http, query="loutre", language="FR", num_results="5")
    (url, search), _ = queries(http)
    assert (url, search["srlimit"]) == ("https://fr.wiki.test/w/api.php", "5")


async def test_pages_keyed_by_id_and_pages_without_an_extract() -> None:
    """formatversion 1 keys pages by id; a page the extracts lack falls back to its
    search snippet, without markup, and a URL made from its title."""
    pages = {"query": {"pages": {"2": PAGES[1]}}}
    result = await lookup(MediaWikiHttp(pages=pages), query="otters")
    assert [a["extract"] for a in result.json] == ["Otters are mammals.", "The sea & otters"]
    assert result.json[1]["url"] == "https://en.wikipedia.org/wiki/Sea_otter"


async def test_no_article_found_is_a_result_that_says_so() -> None:
    http = MediaWikiHttp(search={"batchcomplete": True, "query": {"search": []}})
    result = await lookup(http, query="zzxq")
    assert (result.error, result.json) == (None, [])
    assert result.text == "No Wikipedia (en) article matches 'zzxq'."
    assert len(http.requests) == 1


@pytest.mark.parametrize(
    ("http", "error"),
    [
        (
            MediaWikiHttp(status=503, search=b"Service Unavailable"),
            "answered HTTP 503: Service Unavailable",
        ),
        (MediaWikiHttp(search=b"<html>"), "did not answer with JSON"),
        (
            MediaWikiHttp(search={"error": {"code": "maxlag", "info": "Waiting for db1"}}),
            "the MediaWiki API at https://en.wiki.test/w/api.php refused the request: "
            "Waiting for db1",
        ),
        (MediaWikiHttp(search={"batchcomplete": True}), "did not answer as the MediaWiki API"),
        (MediaWikiHttp(search=[1]), "did not answer as the MediaWiki API"),
        (MediaWikiHttp(pages={"query": {}}), "did not answer as the MediaWiki API"),
    ],
)
async def test_what_the_api_gets_wrong(http: MediaWikiHttp, error: str) -> None:
    result = await lookup(http, query="otters")
    assert result.error is not None
    assert error in result.error


@pytest.mark.parametrize("language", ["English", "en.evil.test/x?", "e", ""])
async def test_the_language_must_be_a_wikipedia_code(language: str) -> None:
    http = MediaWikiHttp()
    result = await lookup(http, query="otters", language=language or " ")
    assert "language should be a Wikipedia code" in (result.error or "")
    assert http.requests == []


@pytest.mark.parametrize("language", ["en", "zh-yue", "simple", "be-tarask"])
async def test_language_codes_wikipedias_use(language: str) -> None:
    assert (await lookup(MediaWikiHttp(), query="otters", language=language)).error is None

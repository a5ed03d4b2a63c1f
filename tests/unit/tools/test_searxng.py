from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from flowstead.engine.ports import HttpResponse
from flowstead.engine.tools import BUILTIN_TOOLS, ParameterError, ToolResult, ToolSettings
from tests.unit.nodes.context import TestContext, make_node

from .context import CannedHttp

SEARXNG = "http://searx.test:8080"
ITEM = {
    "url": "https://example.org/a",
    "title": "Otters",
    "content": "Otters are mammals.",
    "engine": "brave",
    "engines": ["brave"],
    "score": 1.0,
    "category": "general",
}


def answer(results: list[dict[str, Any]], **extra: Any) -> HttpResponse:
    body = {"query": "otters", "number_of_results": 0, "results": results} | extra
    return HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(body).encode())


class SearchHttp(CannedHttp):
    """Answers any search URL of the instance, whatever its query string."""

    async def send(self, request: Any) -> HttpResponse:
        self.requests.append(request)
        return self.answers[request.url.split("?")[0]]


async def search(http: CannedHttp, url: str = SEARXNG, **params: Any) -> ToolResult:
    tool = BUILTIN_TOOLS.get("searxng_search")
    assert tool is not None
    ctx = TestContext(node=make_node("tool", {}), http=http, tool_settings=ToolSettings(url))
    return await tool.run(tool.bind(params), ctx)


def sent(http: CannedHttp) -> tuple[str, dict[str, str]]:
    url = urlsplit(http.requests[-1].url)
    return f"{url.scheme}://{url.netloc}{url.path}", dict(parse_qsl(url.query))


async def test_results_as_text_and_as_a_list() -> None:
    second = ITEM | {"url": "https://example.org/b", "title": "", "content": ""}
    http = SearchHttp({f"{SEARXNG}/search": answer([ITEM, second])})
    result = await search(http, query="otters")
    assert result.error is None
    assert result.text == (
        "1. Otters\nhttps://example.org/a\nOtters are mammals.\n\n"
        "2. https://example.org/b\nhttps://example.org/b"
    )
    assert result.json == [
        {
            "title": "Otters",
            "url": "https://example.org/a",
            "snippet": "Otters are mammals.",
            "engine": "brave",
        },
        {"title": "", "url": "https://example.org/b", "snippet": "", "engine": "brave"},
    ]
    assert sent(http) == (f"{SEARXNG}/search", {"q": "otters", "format": "json"})


async def test_options_become_searxng_parameters() -> None:
    http = SearchHttp({f"{SEARXNG}/search": answer([ITEM])})
    await search(
        http,
        query="otters",
        categories="news,science",
        language="fr",
        time_range="week",
        engines="brave",
    )
    assert sent(http)[1] == {
        "q": "otters",
        "format": "json",
        "categories": "news,science",
        "language": "fr",
        "time_range": "week",
        "engines": "brave",
    }


async def test_num_results_keeps_the_first_ones() -> None:
    items = [ITEM | {"url": f"https://example.org/{n}"} for n in range(8)]
    http = SearchHttp({f"{SEARXNG}/search": answer(items)})
    result = await search(http, query="otters", num_results="2")
    assert [r["url"] for r in result.json] == ["https://example.org/0", "https://example.org/1"]
    assert len((await search(http, query="otters")).json) == 5  # the default


async def test_published_date_and_image_are_kept_when_given() -> None:
    item = ITEM | {"publishedDate": "2024-05-01T00:00:00", "img_src": "https://i.test/o.png"}
    http = SearchHttp({f"{SEARXNG}/search": answer([item])})
    (found,) = (await search(http, query="otters")).json
    assert found["published"] == "2024-05-01T00:00:00"
    assert found["img_src"] == "https://i.test/o.png"


@pytest.mark.parametrize(
    "base", ["http://searx.test:8080/", "http://searx.test:8080/search", " http://searx.test:8080 "]
)
async def test_the_instance_url_may_end_with_a_slash_or_name_the_search_page(base: str) -> None:
    http = SearchHttp({f"{SEARXNG}/search": answer([ITEM])})
    assert (await search(http, base, query="otters")).error is None


async def test_a_node_may_name_another_instance() -> None:
    http = SearchHttp({"https://other.test/search": answer([ITEM])})
    result = await search(http, query="otters", base_url="https://other.test")
    assert result.error is None
    assert sent(http)[0] == "https://other.test/search"


async def test_no_results_is_a_result_that_says_so() -> None:
    http = SearchHttp({f"{SEARXNG}/search": answer([], unresponsive_engines=[["bing", "timeout"]])})
    result = await search(http, query="otters")
    assert (result.error, result.json) == (None, [])
    assert result.text == "No results for 'otters'; engines that did not answer: bing (timeout)."


@pytest.mark.parametrize(
    ("params", "url", "error"),
    [
        (
            {"query": "otters"},
            "",
            "no SearXNG instance to ask: set FLOWSTEAD_SEARXNG_URL, or the node's base_url",
        ),
        ({"query": "  "}, SEARXNG, "the query is empty"),
        ({"query": "otters", "num_results": 0}, SEARXNG, "num_results must be at least 1, got 0"),
        (
            {"query": "otters", "base_url": "searx.test"},
            "",
            "the URL must start with http:// or https://, got "
            "'searx.test/search?q=otters&format=json'",
        ),
    ],
)
async def test_what_cannot_be_asked(params: dict[str, Any], url: str, error: str) -> None:
    http = SearchHttp({})
    assert (await search(http, url, **params)).error == error
    assert http.requests == []


def test_time_range_is_one_of_searxngs() -> None:
    tool = BUILTIN_TOOLS.get("searxng_search")
    assert tool is not None
    with pytest.raises(ParameterError, match="must be one of: day, week, month, year"):
        tool.bind({"query": "otters", "time_range": "decade"})
    assert tool.bind({"query": "otters", "time_range": ""}) == {"query": "otters", "num_results": 5}

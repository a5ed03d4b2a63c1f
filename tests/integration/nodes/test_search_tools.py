"""The search tools through the tool node over real HTTP (the worker's httpx client) against
fake SearXNG and MediaWiki servers that answer in the real APIs' JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import tool
from flowstead.engine.tools import ToolSettings
from flowstead.providers.http import HttpxHttpClient
from tests.fakes.mediawiki import FakeMediaWiki
from tests.fakes.searxng import FakeSearXNG, result
from tests.unit.nodes.context import TestContext, make_node

ARTICLES = {
    "en": {
        "Otter": "Otters are carnivorous mammals.",
        "Sea otter": "The sea otter is a marine mammal.",
        "Badger": "Badgers dig.",
    },
    "fr": {"Loutre": "La loutre est un mammifère."},
}


@pytest.fixture(scope="module")
def searxng() -> Iterator[FakeSearXNG]:
    with FakeSearXNG() as server:
        yield server


@pytest.fixture(scope="module")
def wiki() -> Iterator[FakeMediaWiki]:
    with FakeMediaWiki(ARTICLES) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(searxng: FakeSearXNG, wiki: FakeMediaWiki) -> None:
    searxng.results, searxng.answer, searxng.unresponsive = None, None, []
    wiki.answer = None
    searxng.requests.clear()
    wiki.requests.clear()


@pytest.fixture
async def run(searxng: FakeSearXNG, wiki: FakeMediaWiki) -> AsyncIterator[Any]:
    settings = ToolSettings(
        searxng_url=searxng.url, wikipedia_api_url=wiki.url + "/{lang}/w/api.php"
    )
    async with HttpxHttpClient() as http:

        async def call(name: str, **parameters: Any) -> NodeResult:
            config = {"tool": name, "parameters": parameters}
            ctx = TestContext(
                node=make_node("tool", config),
                values={"start": {"q": "otter"}},
                http=http,
                tool_settings=settings,
            )
            return await tool.run(msgspec.convert(config, tool.ToolConfig), ctx)

        yield call


async def test_searxng_search(run: Any, searxng: FakeSearXNG) -> None:
    outcome = await run("searxng_search", query="{{ start.q }}", num_results=2, time_range="day")
    assert outcome.status == "succeeded", outcome.error
    assert outcome.outputs["text"] == (
        "1. otter: page 1\nhttps://example.org/page-1\nAbout otter (1).\n\n"
        "2. otter: page 2\nhttps://example.org/page-2\nAbout otter (2)."
    )
    assert [r["url"] for r in outcome.outputs["json"]] == [
        "https://example.org/page-1",
        "https://example.org/page-2",
    ]
    (request,) = searxng.requests
    assert (request.path, request.query) == (
        "/search",
        {"q": "otter", "format": "json", "time_range": "day"},
    )


async def test_searxng_with_no_results(run: Any, searxng: FakeSearXNG) -> None:
    searxng.results, searxng.unresponsive = [], [["google", "CAPTCHA"]]
    outcome = await run("searxng_search", query="otter")
    assert outcome.status == "succeeded"
    assert outcome.outputs["json"] == []
    assert outcome.outputs["text"] == (
        "No results for 'otter'; engines that did not answer: google (CAPTCHA)."
    )


async def test_searxng_result_fields(run: Any, searxng: FakeSearXNG) -> None:
    searxng.results = [result("Otter pic", "https://img.test/o", img_src="https://img.test/o.jpg")]
    outcome = await run("searxng_search", query="otter", categories="images")
    assert outcome.outputs["json"] == [
        {
            "title": "Otter pic",
            "url": "https://img.test/o",
            "snippet": "",
            "engine": "duckduckgo",
            "img_src": "https://img.test/o.jpg",
        }
    ]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((502, b"Bad Gateway"), "answered HTTP 502: Bad Gateway"),
        ((200, b'{"results": [tru'), "did not answer with SearXNG's JSON"),
        ((200, b'{"query": "otter"}'), "did not answer with SearXNG's JSON"),
        ((403, b"Forbidden"), "the SearXNG instance must allow the JSON format"),
    ],
)
async def test_searxng_errors(
    run: Any, searxng: FakeSearXNG, answer: tuple[int, bytes], error: str
) -> None:
    searxng.answer = answer
    outcome = await run("searxng_search", query="otter")
    assert outcome.status == "failed"
    assert error in (outcome.error or "")
    assert (outcome.error or "").startswith(f"searxng_search: {searxng.url}/search?q=otter")


async def test_searxng_that_is_not_there(run: Any) -> None:
    outcome = await run("searxng_search", query="otter", base_url="http://127.0.0.1:9")
    assert outcome.status == "failed"
    assert "could not fetch http://127.0.0.1:9/search?q=otter&format=json" in (outcome.error or "")


async def test_wikipedia_search(run: Any, wiki: FakeMediaWiki) -> None:
    outcome = await run("wikipedia_search", query="{{ start.q }}", num_results="5")
    assert outcome.status == "succeeded", outcome.error
    assert outcome.outputs["json"] == [
        {
            "title": "Otter",
            "pageid": 1000,
            "url": "https://en.wikipedia.org/wiki/Otter",
            "extract": "Otters are carnivorous mammals.",
        },
        {
            "title": "Sea otter",
            "pageid": 1001,
            "url": "https://en.wikipedia.org/wiki/Sea_otter",
            "extract": "The sea otter is a marine mammal.",
        },
    ]
    assert outcome.outputs["text"].startswith(
        "Otter\nhttps://en.wikipedia.org/wiki/Otter\nOtters are carnivorous mammals.\n\n"
    )
    assert [r.query.get("list") or r.query["prop"] for r in wiki.requests] == [
        "search",
        "extracts|info",
    ]


async def test_wikipedia_in_another_language_and_fewer_results(run: Any) -> None:
    outcome = await run("wikipedia_search", query="loutre", language="fr")
    assert [a["title"] for a in outcome.outputs["json"]] == ["Loutre"]
    outcome = await run("wikipedia_search", query="otter", num_results=1)
    assert [a["title"] for a in outcome.outputs["json"]] == ["Otter"]


async def test_wikipedia_with_no_article(run: Any, wiki: FakeMediaWiki) -> None:
    outcome = await run("wikipedia_search", query="quasar")
    assert outcome.status == "succeeded"
    assert outcome.outputs == {
        "text": "No Wikipedia (en) article matches 'quasar'.",
        "json": [],
        "files": [],
    }
    assert len(wiki.requests) == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((503, b"upstream connect error"), "answered HTTP 503: upstream connect error"),
        ((200, b"<!DOCTYPE html>"), "did not answer with JSON"),
        (
            (
                200,
                b'{"error": {"code": "ratelimited", "info": "You have exceeded your rate limit."}}',
            ),
            "refused the request: You have exceeded your rate limit.",
        ),
        ((200, b'{"batchcomplete": true}'), "did not answer as the MediaWiki API does"),
    ],
)
async def test_wikipedia_errors(
    run: Any, wiki: FakeMediaWiki, answer: tuple[int, bytes], error: str
) -> None:
    wiki.answer = answer
    outcome = await run("wikipedia_search", query="otter")
    assert outcome.status == "failed"
    assert (outcome.error or "").startswith("wikipedia_search: ")
    assert error in (outcome.error or "")

"""`wikipedia_search`: Wikipedia articles matching a query, with the plain text of their
introductions (Dify's `wikipedia/wikipedia_search`), through the MediaWiki API: a search,
then the extracts of the pages found. The API's address is `ctx.tool_settings`'s."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from flowstead.engine.tools.base import Param, Tool, ToolResult
from flowstead.engine.tools.web import get

if TYPE_CHECKING:
    from flowstead.engine.node import NodeContext

MAX_RESULTS = 20
# The language becomes part of a host name: only a Wikipedia code such as en, zh-yue, simple.
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*|simple")


class _Failed(Exception):
    """Why a call to the API gave nothing usable (caught in this module only)."""


async def wikipedia_search(params: dict[str, Any], ctx: NodeContext) -> ToolResult:
    query, language, count = params["query"].strip(), params["language"], params["num_results"]
    language = language.strip().lower()
    if not _LANGUAGE.fullmatch(language):
        return ToolResult.fail(
            f"language should be a Wikipedia code such as en or fr, not {language!r}"
        )
    if not query:
        return ToolResult.fail("the query is empty")
    if count < 1:
        return ToolResult.fail(f"num_results must be at least 1, got {count}")
    api = ctx.tool_settings.wikipedia_api_url.replace("{lang}", language)
    try:
        found = await _call(ctx, api, _search_query(query, min(count, MAX_RESULTS)))
        hits = found["query"]["search"]
        if not hits:
            return ToolResult.ok(f"No Wikipedia ({language}) article matches {query!r}.", [])
        ids = [int(hit["pageid"]) for hit in hits]
        pages = _pages((await _call(ctx, api, _extracts_query(ids)))["query"]["pages"])
    except _Failed as exc:
        return ToolResult.fail(str(exc))
    except (KeyError, TypeError, ValueError) as exc:
        return ToolResult.fail(f"{api} did not answer as the MediaWiki API does: {exc!r}")
    articles = [_article(hit, pages.get(int(hit["pageid"])) or {}, language) for hit in hits]
    return ToolResult.ok("\n\n".join(map(_text, articles)), articles)


def _search_query(query: str, count: int) -> dict[str, str]:
    return {
        "action": "query",
        "list": "search",
        "srsearch": query,
        "srlimit": str(count),
        "srprop": "snippet",
        "format": "json",
        "formatversion": "2",
    }


def _extracts_query(ids: list[int]) -> dict[str, str]:
    return {
        "action": "query",
        "prop": "extracts|info",
        "pageids": "|".join(map(str, ids)),
        "exintro": "1",
        "explaintext": "1",
        "exlimit": "max",
        "inprop": "url",
        "format": "json",
        "formatversion": "2",
    }


async def _call(ctx: NodeContext, api: str, query: dict[str, str]) -> dict[str, Any]:
    url = f"{api}?{urlencode(query)}"
    response = await get(ctx, url, {"Accept": "application/json"})
    if isinstance(response, str):
        raise _Failed(response)
    try:
        answer = json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Failed(f"{api} did not answer with JSON: {exc}") from None
    if not isinstance(answer, dict):
        raise _Failed(f"{api} did not answer as the MediaWiki API does: {answer!r:.80}")
    if error := answer.get("error"):  # MediaWiki reports errors with status 200
        what = error.get("info") or error.get("code") if isinstance(error, dict) else error
        raise _Failed(f"the MediaWiki API at {api} refused the request: {what}")
    return answer


def _pages(pages: Any) -> dict[int, dict[str, Any]]:
    """Pages by id: a list in formatversion 2, an object keyed by id in version 1."""
    listed = pages.values() if isinstance(pages, dict) else pages
    return {int(page["pageid"]): page for page in listed if "pageid" in page}


def _article(hit: dict[str, Any], page: dict[str, Any], language: str) -> dict[str, Any]:
    title = str(page.get("title") or hit["title"])
    wiki = f"https://{language}.wikipedia.org/wiki/{quote(title.replace(' ', '_'))}"
    return {
        "title": title,
        "pageid": int(hit["pageid"]),
        "url": str(page.get("fullurl") or wiki),
        "extract": str(page.get("extract") or _plain(str(hit.get("snippet") or ""))).strip(),
    }


def _plain(snippet: str) -> str:
    """A search snippet without its highlighting markup."""
    return re.sub(r"<[^>]+>", "", snippet).replace("&quot;", '"').replace("&amp;", "&")


def _text(article: dict[str, Any]) -> str:
    return "\n".join(v for v in (article["title"], article["url"], article["extract"]) if v)


WIKIPEDIA_SEARCH = Tool(
    name="wikipedia_search",
    label="Wikipedia search",
    description="Finds Wikipedia articles matching a query; each one's title, URL and "
    "introduction as text, and the list of articles as JSON.",
    parameters=(
        Param("query", "string", "What to look up", required=True),
        Param("language", "string", "The Wikipedia's language code: en, fr, zh…", default="en"),
        Param("num_results", "integer", f"How many articles (at most {MAX_RESULTS})", default=3),
    ),
    run=wikipedia_search,
)

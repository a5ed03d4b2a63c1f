"""`searxng_search`: a web search through a SearXNG instance's JSON API (Dify's
`searxng/searxng_search`). SearXNG is self-hosted, so the instance is a setting
(`ctx.tool_settings.searxng_url`) that a node's `base_url` may override."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flowstead.engine.ports import HttpResponse
from flowstead.engine.tools.base import Param, Tool, ToolResult
from flowstead.engine.tools.web import send_get, status_error

if TYPE_CHECKING:
    from flowstead.engine.node import NodeContext

MAX_RESULTS = 50
TIME_RANGES = ("day", "week", "month", "year")


async def searxng_search(params: dict[str, Any], ctx: NodeContext) -> ToolResult:
    query, count = params["query"].strip(), params["num_results"]
    base = (params.get("base_url") or ctx.tool_settings.searxng_url).strip().rstrip("/")
    if not base:
        return ToolResult.fail(
            "no SearXNG instance to ask: set FLOWSTEAD_SEARXNG_URL, or the node's base_url"
        )
    if not query:
        return ToolResult.fail("the query is empty")
    if count < 1:
        return ToolResult.fail(f"num_results must be at least 1, got {count}")
    url = _search_url(base, query, params)
    response = await send_get(ctx, url, {"Accept": "application/json"})
    if isinstance(response, str):
        return ToolResult.fail(response)
    if response.status >= 400:
        return ToolResult.fail(_http_error(url, response))
    try:
        answer = json.loads(response.body)
        found = answer["results"]
        results = [_result(item) for item in found[: min(count, MAX_RESULTS)]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return ToolResult.fail(f"{url} did not answer with SearXNG's JSON: {exc}")
    if not results:
        return ToolResult.ok(f"No results for {query!r}{_unresponsive(answer)}.", [])
    return ToolResult.ok("\n\n".join(_text(n, r) for n, r in enumerate(results, 1)), results)


def _search_url(base: str, query: str, params: dict[str, Any]) -> str:
    # Dify's setting holds the instance's root; some people give its /search page.
    endpoint = base if base.endswith("/search") else f"{base}/search"
    query_string: dict[str, str] = {"q": query, "format": "json"}
    for name in ("categories", "engines", "language", "time_range"):
        if value := str(params.get(name) or "").strip():
            query_string[name] = value
    return f"{endpoint}?{urlencode(query_string)}"


def _http_error(url: str, response: HttpResponse) -> str:
    if response.status == 403:
        # What SearXNG answers when its settings.yml does not offer the JSON format.
        return (
            f"{url} answered HTTP 403: the SearXNG instance must allow the JSON format "
            "(settings.yml: search: formats: [html, json])"
        )
    return status_error(url, response)


def _result(item: dict[str, Any]) -> dict[str, Any]:
    result = {
        "title": str(item.get("title") or ""),
        "url": str(item["url"]),
        "snippet": str(item.get("content") or ""),
        "engine": str(item.get("engine") or ""),
    }
    if published := item.get("publishedDate"):
        result["published"] = str(published)
    if image := item.get("img_src"):
        result["img_src"] = str(image)
    return result


def _text(number: int, result: dict[str, Any]) -> str:
    lines = [f"{number}. {result['title'] or result['url']}", result["url"], result["snippet"]]
    return "\n".join(line for line in lines if line)


def _unresponsive(answer: dict[str, Any]) -> str:
    engines = [
        f"{entry[0]} ({entry[1]})" if len(entry) > 1 else str(entry[0])
        for entry in answer.get("unresponsive_engines") or []
        if isinstance(entry, list) and entry
    ]
    return f"; engines that did not answer: {', '.join(engines)}" if engines else ""


SEARXNG_SEARCH = Tool(
    name="searxng_search",
    label="SearXNG search",
    description="Searches the web through a SearXNG instance; each result's title, URL and "
    "snippet as text, and the list of results as JSON.",
    parameters=(
        Param("query", "string", "What to search for", required=True),
        Param(
            "categories",
            "string",
            "Comma-separated SearXNG categories: general, news, images, videos, science, it…",
        ),
        Param("language", "string", "A language code such as en or fr (empty: any)"),
        Param("time_range", "string", "Only results this recent", options=TIME_RANGES),
        Param("num_results", "integer", f"How many results (at most {MAX_RESULTS})", default=5),
        Param("engines", "string", "Comma-separated engines (empty: the instance's choice)"),
        Param(
            "base_url",
            "string",
            "The SearXNG instance, e.g. http://searxng:8080 (empty: FLOWSTEAD_SEARXNG_URL)",
        ),
    ),
    run=searxng_search,
)

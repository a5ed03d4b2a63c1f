"""Tools that read the web through `ctx.http`: `web_fetch` (a page as text) and
`http_get_json` (a JSON API's answer as data)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flowstead.engine.extract import ExtractError, decode, extract_text
from flowstead.engine.ports import HttpError, HttpRequest, HttpResponse
from flowstead.engine.tools.base import Param, Tool, ToolResult

if TYPE_CHECKING:
    from flowstead.engine.node import NodeContext

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
USER_AGENT = "Flowstead (workflow tool)"


async def send_get(ctx: NodeContext, url: str, headers: dict[str, str]) -> HttpResponse | str:
    """The response whatever its status, or why there is none (a bad URL, a transport
    error)."""
    if not url.lower().startswith(("http://", "https://")):
        return f"the URL must start with http:// or https://, got {url!r}"
    request = HttpRequest(
        method="GET",
        url=url,
        headers={"User-Agent": USER_AGENT} | headers,
        read_timeout=30.0,
        max_response_bytes=MAX_RESPONSE_BYTES,
    )
    try:
        return await ctx.http.send(request)
    except HttpError as exc:
        return f"could not fetch {url}: {exc}"


def status_error(url: str, response: HttpResponse) -> str:
    snippet = _decode_safely(response.body)[:200]
    return f"{url} answered HTTP {response.status}" + (f": {snippet}" if snippet else "")


async def get(ctx: NodeContext, url: str, headers: dict[str, str]) -> HttpResponse | str:
    """The response, or why there is none (a bad URL, a transport error, an error status)."""
    response = await send_get(ctx, url, headers)
    if isinstance(response, HttpResponse) and response.status >= 400:
        return status_error(url, response)
    return response


def _decode_safely(body: bytes) -> str:
    try:
        return decode(body).strip()
    except ExtractError:
        return ""


def _content_type(response: HttpResponse) -> str:
    return next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")


async def web_fetch(params: dict[str, Any], ctx: NodeContext) -> ToolResult:
    url, limit = params["url"], params["max_chars"]
    response = await get(ctx, url, {"Accept": "text/html,text/plain;q=0.9,*/*;q=0.5"})
    if isinstance(response, str):
        return ToolResult.fail(response)
    content_type = _content_type(response) or "text/plain"
    try:
        # By MIME type, not by the URL's ending: `/report.php` may well serve a PDF.
        text = extract_text(response.body, "", content_type)
    except ExtractError as exc:
        return ToolResult.fail(f"cannot read {url}: {exc}")
    truncated = len(text) > limit
    if truncated:
        text = text[:limit] + f"\n[truncated: {len(text) - limit} more characters]"
    details = {"url": url, "status": response.status, "content_type": content_type}
    return ToolResult.ok(text, details | {"truncated": truncated})


async def http_get_json(params: dict[str, Any], ctx: NodeContext) -> ToolResult:
    url = params["url"]
    headers = {str(k): str(v) for k, v in params.get("headers", {}).items()}
    response = await get(ctx, url, {"Accept": "application/json"} | headers)
    if isinstance(response, str):
        return ToolResult.fail(response)
    try:
        value = json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return ToolResult.fail(f"{url} did not answer with JSON: {exc}")
    return ToolResult.ok(json.dumps(value, indent=2, ensure_ascii=False), value)


WEB_FETCH = Tool(
    name="web_fetch",
    label="Fetch a web page",
    description="Fetches a URL and returns its readable text (HTML, text, JSON, CSV or PDF).",
    parameters=(
        Param("url", "string", "The http(s) URL to fetch", required=True),
        Param("max_chars", "integer", "Longest text to return", default=20_000),
    ),
    run=web_fetch,
)

HTTP_GET_JSON = Tool(
    name="http_get_json",
    label="Get JSON",
    description="GETs a JSON API and returns the parsed answer (and its pretty text).",
    parameters=(
        Param("url", "string", "The http(s) URL to GET", required=True),
        Param("headers", "object", "Extra request headers, e.g. an API key"),
    ),
    run=http_get_json,
)

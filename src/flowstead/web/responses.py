"""Answering with pages and partials: the page context every template gets, htmx
redirects and triggers, and partials rendered into JSON for the canvas script."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template

from flowstead.api.session import csrf_token

AnyRequest = Request[Any, Any, Any]


def is_htmx(request: AnyRequest) -> bool:
    return request.headers.get("hx-request") == "true"


def context(request: AnyRequest, values: Mapping[str, Any]) -> dict[str, Any]:
    return {"csrf_token": csrf_token(request), "section": "", **values}


def page(
    request: AnyRequest,
    template: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **values: Any,
) -> Template:
    """A full page or a partial: the same context either way."""
    return Template(
        template_name=template,
        context=context(request, values),
        status_code=status_code,
        headers=dict(headers or {}),
    )


def render(request: AnyRequest, template: str, **values: Any) -> str:
    """A template rendered to a string (for a JSON answer to the canvas script)."""
    engine = request.app.template_engine
    assert engine is not None
    return str(engine.get_template(template).render(**context(request, values)))


def redirect(request: AnyRequest, url: str) -> Response[Any]:
    """Go to `url`: htmx follows `HX-Redirect`, a plain form a 303."""
    if is_htmx(request):
        return Response(content=b"", headers={"HX-Redirect": url})
    return Redirect(url, status_code=303)


def trigger(events: Mapping[str, Any]) -> dict[str, str]:
    """An `HX-Trigger` header: events the page's scripts listen for, with their details."""
    return {"HX-Trigger": json.dumps(events, separators=(",", ":"))}

"""Errors on pages are pages (or, for htmx requests, a short message the page shows),
not the API's JSON."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.types import ExceptionHandlersMap

from flowstead.api.session import LoginRequired, login_redirect
from flowstead.dsl.document import DocumentError
from flowstead.services.runs import RunRejected
from flowstead.store.errors import Conflict, NotFound
from flowstead.web.drafts import EditRejected

log = logging.getLogger("flowstead.web")

AnyRequest = Request[Any, Any, Any]
TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    500: "Something went wrong",
}


def error_page(request: AnyRequest, status: int, message: str) -> Response[Any]:
    if request.headers.get("hx-request") == "true":
        # htmx does not swap error answers; the page shows this text (see app.js).
        return Response(message, status_code=status, media_type="text/plain")
    return Template(
        template_name="errors/error.html",
        context={
            "status": status,
            "title": TITLES.get(status, "Error"),
            "message": message,
            "csrf_token": "",
            "section": "",
        },
        status_code=status,
    )


def _not_found(request: AnyRequest, exc: NotFound) -> Response[Any]:
    return error_page(request, 404, f"{exc.kind.capitalize()} not found. It may have been deleted.")


def _conflict(request: AnyRequest, exc: Conflict) -> Response[Any]:
    return error_page(request, 409, str(exc))


def _bad_document(request: AnyRequest, exc: DocumentError) -> Response[Any]:
    return error_page(request, 400, str(exc))


def _rejected(request: AnyRequest, exc: RunRejected) -> Response[Any]:
    return error_page(request, 404 if exc.code == "not_found" else 400, str(exc))


def _rejected_edit(request: AnyRequest, exc: EditRejected) -> Response[Any]:
    return error_page(request, 400, str(exc))


def _http(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        return _internal(request, exc)
    return error_page(request, exc.status_code, exc.detail)


def _internal(request: AnyRequest, exc: Exception) -> Response[Any]:
    log.error("internal error", exc_info=exc)
    return error_page(request, 500, "The server could not show this page. The log has details.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    LoginRequired: login_redirect,
    NotFound: _not_found,
    Conflict: _conflict,
    DocumentError: _bad_document,
    RunRejected: _rejected,
    EditRejected: _rejected_edit,
    HTTPException: _http,
    Exception: _internal,
}

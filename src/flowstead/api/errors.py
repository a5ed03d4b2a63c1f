"""Every 4xx/5xx answer is `{"code", "message", "status"}` (Dify's error shape).

Handlers raise `ApiError` (or a Litestar `HTTPException`, or a store/service error mapped
here); anything else becomes a 500 that names no internals and is logged with its trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ExceptionHandlersMap

from flowstead.dsl.document import DocumentError
from flowstead.engine.ports import LLMError
from flowstead.services.runs import RunRejected
from flowstead.services.workflows import NotPublished, WorkflowInvalid
from flowstead.store.errors import Conflict, NotFound

log = logging.getLogger("flowstead.api")

# Dify's codes where Dify has one, so its clients recognise them.
CODES = {
    400: "invalid_param",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_workflow",
    429: "too_many_requests",
    502: "provider_error",
    500: "internal_server_error",
    503: "not_ready",
}


class ApiError(HTTPException):
    """An HTTP error with a stable machine-readable `code` and optional extra fields."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, **fields: Any
    ) -> None:
        super().__init__(detail=message, status_code=status)
        self.code = code or CODES.get(status, "error")
        self.fields = fields


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **fields: Any,
) -> Response[dict[str, Any]]:
    body = {"code": code or CODES.get(status, "error"), "message": message, "status": status}
    return Response(body | fields, status_code=status, headers=dict(headers or {}))


def _validation_message(exc: ValidationException) -> str:
    problems = exc.extra if isinstance(exc.extra, list) else []
    details = []
    for problem in problems:
        if isinstance(problem, dict):
            key = problem.get("key")
            text = str(problem.get("message", "")).strip()
            details.append(f"{key}: {text}" if key else text)
    if not details:
        return exc.detail
    return "; ".join(details)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.detail, exc.code, **exc.fields)
    if isinstance(exc, ValidationException):
        return error_response(400, _validation_message(exc), headers=exc.headers)
    if isinstance(exc.__cause__, SerializationException):
        return error_response(400, f"The request body is not valid JSON: {exc.detail}")
    if isinstance(exc, RequestEntityTooLarge):
        limit = request.app.state.max_body_bytes / (1024 * 1024)
        return error_response(413, f"The request body is larger than {limit:g} MiB.")
    if exc.status_code >= 500:
        return _internal_error(request, exc)
    return error_response(exc.status_code, exc.detail, headers=exc.headers)


def _not_found(_: Request[Any, Any, Any], exc: NotFound) -> Response[Any]:
    return error_response(404, f"{exc.kind.capitalize()} not found.")


def _conflict(_: Request[Any, Any, Any], exc: Conflict) -> Response[Any]:
    return error_response(409, str(exc))


def _bad_document(_: Request[Any, Any, Any], exc: DocumentError) -> Response[Any]:
    return error_response(400, str(exc), "invalid_document")


def _invalid_workflow(_: Request[Any, Any, Any], exc: WorkflowInvalid) -> Response[Any]:
    issues = msgspec.to_builtins(exc.issues)
    return error_response(422, f"The workflow has errors: {exc}", issues=issues)


def _not_published(_: Request[Any, Any, Any], exc: NotPublished) -> Response[Any]:
    message = "The workflow has not been published yet; publish it before calling it."
    return error_response(400, message, "not_published")


# RunRejected codes whose status is not 400.
_REJECTION_STATUS = {"not_found": 404, "conflict": 409}


def _run_rejected(request: Request[Any, Any, Any], exc: RunRejected) -> Response[Any]:
    status = _REJECTION_STATUS.get(exc.code, 400)
    if exc.code == "not_published":
        return _not_published(request, NotPublished(str(exc)))
    message = str(exc)
    return error_response(status, message[:1].upper() + message[1:] + ".", exc.code)


def _provider_failed(_: Request[Any, Any, Any], exc: LLMError) -> Response[Any]:
    return error_response(502, str(exc), "provider_error")


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("internal error", exc_info=exc)
    return error_response(500, "Internal server error.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: _http_error,
    NotFound: _not_found,
    Conflict: _conflict,
    DocumentError: _bad_document,
    WorkflowInvalid: _invalid_workflow,
    NotPublished: _not_published,
    RunRejected: _run_rejected,
    LLMError: _provider_failed,
    Exception: _internal_error,
}

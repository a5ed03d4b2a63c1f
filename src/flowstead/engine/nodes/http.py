"""HTTP request: any method, headers, params, auth and body; outputs status, body, headers.

URL, header and param keys and values, auth fields and body content are templates. Bodies
are encoded here, so what is sent does not depend on the HTTP client: `json` and `raw` send
the rendered text (a JSON body must parse), `urlencoded` sends text fields, and `form` and
`multipart` both send multipart/form-data with text and file fields (files read through
`ctx.files`). Any status is a success; transport failures and timeouts fail the node.
The response body is text decoded by its charset (UTF-8 by default) with replacement
characters for bytes that are not text, as Dify does: a node cannot store files yet.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple
from urllib.parse import urlencode

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.nodes._common import KeyValue
from flowstead.engine.ports import HttpError, HttpRequest, HttpResponse
from flowstead.engine.templates import TemplateError

_SENSITIVE = re.compile(r"auth|key|token|secret|password|cookie|session", re.IGNORECASE)
SHOWN_BODY_CHARS = 2000


class Auth(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    type: Literal["none", "bearer", "basic", "header"] = "none"
    token: str = ""
    username: str = ""
    password: str = ""
    header: str = "Authorization"


class FormField(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    key: str
    value: str = ""
    # `file`: `value` is a selector of a file variable.
    type: Literal["text", "file"] = "text"


class Body(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    type: Literal["none", "json", "form", "urlencoded", "raw", "multipart"] = "none"
    # A template, for json and raw bodies.
    content: str = ""
    fields: list[FormField] = []


class HttpConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    url: str = ""
    headers: list[KeyValue] = []
    params: list[KeyValue] = []
    auth: Auth = msgspec.field(default_factory=Auth)
    body: Body = msgspec.field(default_factory=Body)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_response_bytes: int = 10 * 1024 * 1024


class _Invalid(ValueError):
    """The request cannot be built; the message is the node's error."""


class _Body(NamedTuple):
    content: bytes | None = None
    content_type: str | None = None
    # What the run detail shows of it.
    shown: str = ""


async def run(config: HttpConfig, ctx: NodeContext) -> NodeResult:
    try:
        request, shown = await _request(config, ctx)
    except _Invalid as exc:
        return NodeResult.fail(str(exc))
    try:
        response = await ctx.http.send(request)
    except HttpError as exc:
        error = f"the {request.method} request failed: {exc}"
        return NodeResult.fail(error, process_data={"request": shown})
    outputs = {"status_code": response.status, "body": _text(response), "headers": response.headers}
    return NodeResult.ok(outputs, process_data={"request": shown})


async def _request(config: HttpConfig, ctx: NodeContext) -> tuple[HttpRequest, dict[str, Any]]:
    url = _render(ctx, config.url, "URL").strip()
    if not url.lower().startswith(("http://", "https://")):
        raise _Invalid(f"the URL must start with http:// or https://, got {url!r}")
    headers = _pairs(ctx, config.headers, "header")
    params = _pairs(ctx, config.params, "param")
    auth = _auth(ctx, config.auth)
    body = await _body(ctx, config.body)
    if body.content_type and config.body.type in ("form", "multipart"):
        # Ours names the boundary; a typed-in `multipart/form-data` would break the body.
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    if body.content_type and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = body.content_type
    shown = {
        "method": config.method,
        "url": url,
        "params": _masked(params),
        "headers": _masked(headers) | dict.fromkeys(auth, "***"),
        "body": body.shown[:SHOWN_BODY_CHARS],
    }
    request = HttpRequest(
        method=config.method,
        url=url,
        headers=headers | auth,
        params=params,
        content=body.content,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        max_response_bytes=config.max_response_bytes,
    )
    return request, shown


def _render(ctx: NodeContext, template: str, where: str) -> str:
    try:
        return ctx.render(template)
    except TemplateError as exc:
        raise _Invalid(f"{where}: {exc}") from exc


def _pairs(ctx: NodeContext, pairs: list[KeyValue], what: str) -> dict[str, str]:
    rendered: dict[str, str] = {}
    for pair in pairs:
        key = _render(ctx, pair.key, f"{what} name").strip()
        if key:
            rendered[key] = _render(ctx, pair.value, f"{what} `{key}`")
    return rendered


def _auth(ctx: NodeContext, auth: Auth) -> dict[str, str]:
    if auth.type == "none":
        return {}
    if auth.type == "basic":
        user = _render(ctx, auth.username, "auth username")
        pair = f"{user}:{_render(ctx, auth.password, 'auth password')}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
    token = _render(ctx, auth.token, "auth token").strip()
    if not token:
        raise _Invalid("auth: the token is empty (is the variable it reads set?)")
    if auth.type == "bearer":
        return {"Authorization": f"Bearer {token}"}
    return {_render(ctx, auth.header, "auth header").strip() or "Authorization": token}


async def _body(ctx: NodeContext, body: Body) -> _Body:
    if body.type == "none":
        return _Body()
    if body.type in ("json", "raw"):
        text = _render(ctx, body.content, "body")
        if body.type == "raw":
            return _Body(text.encode(), "text/plain; charset=utf-8", text)
        if not text.strip():
            return _Body()
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            hint = "to insert text that may hold quotes, write {{ value | tojson }}"
            raise _Invalid(f"the body is not valid JSON once rendered ({exc}); {hint}") from exc
        return _Body(text.encode(), "application/json", text)
    if body.type == "urlencoded":
        if any(field.type == "file" for field in body.fields):
            raise _Invalid("a urlencoded body cannot carry files: use multipart")
        pairs = [
            (_render(ctx, f.key, "body field name"), _render(ctx, f.value, f"body field `{f.key}`"))
            for f in body.fields
        ]
        text = urlencode(pairs)
        return _Body(text.encode(), "application/x-www-form-urlencoded", text)
    return await _multipart(ctx, body.fields)


async def _multipart(ctx: NodeContext, fields: list[FormField]) -> _Body:
    """multipart/form-data, encoded here so text-only forms stay multipart."""
    boundary = f"flowstead-{secrets.token_hex(12)}"
    content = bytearray()
    shown: list[str] = []
    for field in fields:
        key = _render(ctx, field.key, "body field name")
        if field.type == "text":
            value = _render(ctx, field.value, f"body field `{key}`")
            content += _part(boundary, key, None, None, value.encode())
            shown.append(f"{key}: {value}")
            continue
        for name, mime_type, data in await _files(ctx, key, field.value):
            content += _part(boundary, key, name, mime_type, data)
            shown.append(f"{key}: <file {name}, {len(data)} bytes>")
    content += f"--{boundary}--\r\n".encode()
    return _Body(bytes(content), f"multipart/form-data; boundary={boundary}", "\n".join(shown))


def _part(
    boundary: str, key: str, filename: str | None, mime_type: str | None, data: bytes
) -> bytes:
    disposition = f'form-data; name="{_quoted(key)}"'
    if filename is not None:
        disposition += f'; filename="{_quoted(filename)}"'
    head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
    if mime_type:
        head += f"Content-Type: {mime_type}\r\n"
    return head.encode() + b"\r\n" + data + b"\r\n"


def _quoted(value: str) -> str:
    """A name inside a quoted header parameter, escaped as browsers do."""
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


async def _files(ctx: NodeContext, key: str, selector: str) -> list[tuple[str, str, bytes]]:
    """`(name, mime type, bytes)` of the file or files a file field's selector holds."""
    where = f"body field `{key}`"
    try:
        value = ctx.resolve(selector)
    except selectors.Missing as exc:
        raise _Invalid(f"{where}: {exc}") from exc
    files: list[tuple[str, str, bytes]] = []
    for file in value if isinstance(value, list) else [value]:
        if not (isinstance(file, Mapping) and ("id" in file or "url" in file)):
            raise _Invalid(f"{where}: `{selector}` holds a {type(file).__name__}, not a file")
        name = str(file.get("name") or "file")
        try:
            content = await ctx.files.read(file)
        except Exception as exc:  # the Files port names no error type; any is a read failure
            raise _Invalid(f"{where}: could not read file '{name}': {exc}") from exc
        files.append((name, content.type_for(file) or "application/octet-stream", content.data))
    return files


def _masked(values: dict[str, str]) -> dict[str, str]:
    """Values as shown in the run detail: those whose names suggest a secret are hidden."""
    return {k: "***" if _SENSITIVE.search(k) else v for k, v in values.items()}


def _text(response: HttpResponse) -> str:
    content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    try:
        return response.body.decode(match.group(1) if match else "utf-8", "replace")
    except LookupError:
        return response.body.decode("utf-8", "replace")


SPEC: NodeSpec[HttpConfig] = NodeSpec(
    type="http",
    label="HTTP request",
    config=HttpConfig,
    run=run,
    outputs=lambda c: {"status_code": "number", "body": "string", "headers": "object"},
    category="io",
)

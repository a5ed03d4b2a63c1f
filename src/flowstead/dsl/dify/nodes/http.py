"""HTTP request: method, URL, `k:v` header and param lines, API-key auth, body, timeouts."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Literal, get_args

from flowstead.dsl.dify.context import ExportContext, ImportContext, as_float
from flowstead.dsl.dify.text import DIFY_REF
from flowstead.engine.nodes._common import KeyValue
from flowstead.engine.nodes.http import Auth, Body, FormField, HttpConfig

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_METHODS: dict[str, Method] = {m: m for m in get_args(Method)}
_DEFAULTS = HttpConfig()
_BODY_TYPES = {
    "json": "json",
    "raw": "raw-text",
    "form": "form-data",
    "multipart": "form-data",
    "urlencoded": "x-www-form-urlencoded",
}


def import_http(data: Mapping[str, Any], ctx: ImportContext) -> HttpConfig:
    method = str(data.get("method") or "get").upper()
    if method not in _METHODS:
        ctx.error(f"the method {method} is not supported; it became GET")
    if data.get("ssl_verify") is False:
        ctx.warning(
            "Dify skipped TLS certificate checks for this request; Flowstead always checks them"
        )
    timeout = data.get("timeout") or {}
    return HttpConfig(
        method=_METHODS.get(method, "GET"),
        url=ctx.text(data.get("url", "")),
        headers=_lines(data.get("headers"), ctx),
        params=_lines(data.get("params"), ctx),
        auth=_auth(data.get("authorization") or {}, ctx),
        body=_body(data.get("body") or {}, ctx),
        connect_timeout=_seconds(timeout, "connect", _DEFAULTS.connect_timeout),
        read_timeout=_seconds(timeout, "read", _DEFAULTS.read_timeout),
    )


def _seconds(timeout: Mapping[str, Any], name: str, default: float) -> float:
    """Dify's timeout (`connect` or `max_connect_timeout`); 0 means the default."""
    return as_float(timeout.get(name) or timeout.get(f"max_{name}_timeout"), None) or default


def _lines(value: Any, ctx: ImportContext) -> list[KeyValue]:
    """Dify's `key:value` lines as key-value pairs."""
    pairs = []
    for line in str(value or "").splitlines():
        if line.strip():
            key, _, text = line.partition(":")
            pairs.append(KeyValue(ctx.text(key.strip()), ctx.text(text.strip())))
    return pairs


def _auth(auth: Mapping[str, Any], ctx: ImportContext) -> Auth:
    if auth.get("type") != "api-key":
        return Auth()
    config = auth.get("config") or {}
    key, header = str(config.get("api_key") or ""), str(config.get("header") or "")
    if key and not DIFY_REF.search(key):
        ctx.warning(
            "the API key is written into the workflow; move it to a secret "
            "environment variable and read it as {{ env.NAME }}"
        )
    token = ctx.text(key)
    if config.get("type") == "basic":
        pair = _user_password(key)
        if pair is not None:
            return Auth("basic", username=ctx.text(pair[0]), password=ctx.text(pair[1]))
        token = "Basic " + token
    elif config.get("type") == "bearer":
        if header.lower() in ("", "authorization"):
            return Auth("bearer", token=token)
        token = "Bearer " + token
    return Auth("header", token=token, header=header or "Authorization")


def _user_password(key: str) -> tuple[str, str] | None:
    """Dify's basic-auth key is `user:password`, or that pair already base64-encoded."""
    if ":" not in key:
        try:
            key = base64.b64decode(key, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
    user, colon, password = key.partition(":")
    return (user, password) if colon else None


def _body(body: Mapping[str, Any], ctx: ImportContext) -> Body:
    kind, data = body.get("type", "none"), body.get("data")
    if isinstance(data, str):  # before DSL 0.1.3 the body was text (`k:v` lines for forms)
        data = (
            [{"key": k.key, "type": "text", "value": k.value} for k in _lines(data, ctx)]
            if kind in ("form-data", "x-www-form-urlencoded")
            else [{"type": "text", "value": ctx.text(data)}]
        )
    else:
        data = [
            {**item, "key": ctx.text(item.get("key", "")), "value": ctx.text(item.get("value", ""))}
            for item in data or []
        ]
    if kind in ("json", "raw-text"):
        content = next((str(i["value"]) for i in data if i.get("type", "text") == "text"), "")
        return Body("json" if kind == "json" else "raw", content=content)
    if kind in ("form-data", "x-www-form-urlencoded"):
        return Body(
            "form" if kind == "form-data" else "urlencoded",
            fields=[_field(item, ctx) for item in data],
        )
    if kind == "binary":
        ctx.error(
            "Dify sent a file as the raw request body; Flowstead sends it as the "
            "multipart form field `file` instead. Check that the server accepts that"
        )
        files = [_field(item, ctx) for item in data]
        return Body("form", fields=[FormField("file", files[0].value, "file")] if files else [])
    if kind != "none":
        ctx.error(f"the body type {kind!r} is not supported; the request has no body")
    return Body()


def _field(item: Mapping[str, Any], ctx: ImportContext) -> FormField:
    if item.get("type") == "file":
        return FormField(item.get("key", ""), ctx.selector(item.get("file")), "file")
    return FormField(item.get("key", ""), item.get("value", ""))


def export_http(config: HttpConfig, ctx: ExportContext) -> dict[str, Any]:
    return {
        "method": config.method.lower(),
        "url": ctx.text(config.url),
        "headers": _export_lines(config.headers, ctx),
        "params": _export_lines(config.params, ctx),
        "authorization": _export_auth(config.auth, ctx),
        "body": _export_body(config.body, ctx),
        "timeout": {
            "max_connect_timeout": _export_seconds(
                config.connect_timeout, _DEFAULTS.connect_timeout
            ),
            "max_read_timeout": _export_seconds(config.read_timeout, _DEFAULTS.read_timeout),
            "max_write_timeout": 0,
        },
        "variables": [],
    }


def _export_seconds(value: float, default: float) -> float:
    return 0 if value == default else value


def _export_lines(pairs: list[KeyValue], ctx: ExportContext) -> str:
    return "\n".join(f"{ctx.text(p.key)}:{ctx.text(p.value)}" for p in pairs)


def _export_auth(auth: Auth, ctx: ExportContext) -> dict[str, Any]:
    if auth.type == "none":
        return {"type": "no-auth", "config": None}
    if auth.type == "basic":
        config = {
            "type": "basic",
            "api_key": f"{ctx.text(auth.username)}:{ctx.text(auth.password)}",
        }
    elif auth.type == "bearer":
        config = {"type": "bearer", "api_key": ctx.text(auth.token)}
    else:
        config = {"type": "custom", "api_key": ctx.text(auth.token), "header": auth.header}
    return {"type": "api-key", "config": config}


def _export_body(body: Body, ctx: ExportContext) -> dict[str, Any]:
    if body.type == "none":
        return {"type": "none", "data": []}
    items: list[dict[str, Any]]
    if body.type in ("json", "raw"):
        items = [{"id": "key-value-1", "key": "", "type": "text", "value": ctx.text(body.content)}]
    else:
        items = [
            {
                "id": f"key-value-{n}",
                "key": ctx.text(f.key),
                "type": f.type,
                **(
                    {"file": ctx.selector(f.value), "value": ""}
                    if f.type == "file"
                    else {"value": ctx.text(f.value)}
                ),
            }
            for n, f in enumerate(body.fields, 1)
        ]
    return {"type": _BODY_TYPES[body.type], "data": items}

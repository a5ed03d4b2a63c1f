"""HTTP request: any method, headers, params, auth and body; outputs status, body, headers."""

from __future__ import annotations

from typing import Literal

import msgspec

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes._common import KeyValue, not_implemented


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


SPEC = NodeSpec(
    type="http",
    label="HTTP request",
    config=HttpConfig,
    run=not_implemented,
    outputs=lambda c: {"status_code": "number", "body": "string", "headers": "object"},
    category="io",
)

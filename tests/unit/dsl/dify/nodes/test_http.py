"""HTTP request: lines, auth, bodies old and new, timeouts."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.unit.dsl.dify.builders import config, imported, messages, node

NO_AUTH = {"type": "no-auth", "config": None}


def http(**data: Any) -> dict[str, Any]:
    defaults = {
        "method": "get",
        "url": "https://x.test/{{#sys.query#}}",
        "headers": "",
        "params": "",
        "authorization": NO_AUTH,
        "body": {"type": "none", "data": []},
        "timeout": {"max_connect_timeout": 0, "max_read_timeout": 0},
    }
    return node("2", "http-request", **(defaults | data))


def test_method_url_lines_and_timeouts() -> None:
    result = imported(
        http(
            method="post",
            headers="Content-Type:application/json\nX-Q: {{#sys.query#}}\n\nbare",
            params="q:a:b",
            timeout={"connect": 5, "read": 0, "max_read_timeout": 30},
        )
    )
    assert config(result, "2") == {
        "method": "POST",
        "url": "https://x.test/{{ sys.query }}",
        "headers": [
            {"key": "Content-Type", "value": "application/json"},
            {"key": "X-Q", "value": "{{ sys.query }}"},
            {"key": "bare"},
        ],
        "params": [{"key": "q", "value": "a:b"}],
        "auth": {},
        "body": {},
        "connect_timeout": 5.0,
        "read_timeout": 30.0,
    }


def api_key(kind: str, key: str, header: str = "") -> dict[str, Any]:
    return {"type": "api-key", "config": {"type": kind, "api_key": key, "header": header}}


@pytest.mark.parametrize(
    ("authorization", "auth"),
    [
        (api_key("bearer", "{{#env.KEY#}}"), {"type": "bearer", "token": "{{ env.KEY }}"}),
        (
            api_key("bearer", "{{#env.KEY#}}", "X-Auth"),
            {"type": "header", "token": "Bearer {{ env.KEY }}", "header": "X-Auth"},
        ),
        (
            api_key("custom", "{{#env.KEY#}}", "X-API-Key"),
            {"type": "header", "token": "{{ env.KEY }}", "header": "X-API-Key"},
        ),
        (
            api_key("basic", "{{#env.USER#}}:{{#env.PASS#}}"),
            {"type": "basic", "username": "{{ env.USER }}", "password": "{{ env.PASS }}"},
        ),
    ],
)
def test_auth(authorization: dict[str, Any], auth: dict[str, Any]) -> None:
    result = imported(http(authorization=authorization))
    assert config(result, "2")["auth"] == auth
    assert messages(result) == []


def test_literal_keys_are_flagged_and_encoded_basic_keys_decoded() -> None:
    encoded = base64.b64encode(b"ann:secret").decode()
    result = imported(http(authorization=api_key("basic", encoded)))
    assert config(result, "2")["auth"] == {"type": "basic", "username": "ann", "password": "secret"}
    assert messages(result) == [
        "the API key is written into the workflow; move it to a secret "
        "environment variable and read it as {{ env.NAME }}"
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"type": "json", "data": '{"q": "{{#sys.query#}}"}'},
            {"type": "json", "content": '{"q": "{{ sys.query }}"}'},
        ),
        (
            {
                "type": "json",
                "data": [{"type": "text", "key": "", "value": '{"a": {{#sys.query#}}}'}],
            },
            {"type": "json", "content": '{"a": {{ sys.query }}}'},
        ),
        (
            {"type": "raw-text", "data": [{"type": "text", "value": "hi {{x}}"}]},
            {"type": "raw", "content": "hi {% raw %}{{{% endraw %}x}}"},
        ),
        (
            {"type": "x-www-form-urlencoded", "data": "a:1\nb:{{#sys.query#}}"},
            {
                "type": "urlencoded",
                "fields": [{"key": "a", "value": "1"}, {"key": "b", "value": "{{ sys.query }}"}],
            },
        ),
        (
            {
                "type": "form-data",
                "data": [
                    {"key": "f", "type": "file", "file": ["1711528914102", "doc"]},
                    {"key": "t", "type": "text", "value": "v"},
                ],
            },
            {
                "type": "form",
                "fields": [
                    {"key": "f", "value": "start.doc", "type": "file"},
                    {"key": "t", "value": "v"},
                ],
            },
        ),
    ],
)
def test_bodies(body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert config(imported(http(method="post", body=body)), "2")["body"] == expected


def test_binary_body_becomes_a_form_file_with_an_error() -> None:
    body = {"type": "binary", "data": [{"type": "file", "file": ["sys", "files"]}]}
    result = imported(http(method="put", body=body))
    assert config(result, "2")["body"] == {
        "type": "form",
        "fields": [{"key": "file", "value": "sys.files", "type": "file"}],
    }
    assert result.entries("error")[0].message.startswith("Dify sent a file as the raw request body")


def test_unsupported_method_and_tls_setting() -> None:
    result = imported(http(method="connect", ssl_verify=False))
    assert "method" not in config(result, "2")
    assert messages(result) == [
        "the method CONNECT is not supported; it became GET",
        "Dify skipped TLS certificate checks for this request; Flowstead always checks them",
    ]

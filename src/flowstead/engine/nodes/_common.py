"""Config pieces several node types share."""

from __future__ import annotations

from typing import Any

import msgspec


class ModelRef(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A model on a configured provider, with its sampling parameters."""

    provider: str = ""
    name: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] = []
    extra: dict[str, Any] = {}


class Mapping_(msgspec.Struct, forbid_unknown_fields=True):
    """A named value taken from a selector (`llm.text`)."""

    name: str
    value: str


class KeyValue(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A key and a template value (HTTP headers, params, form fields)."""

    key: str
    value: str = ""


def not_implemented(_config: Any, _ctx: Any) -> Any:
    raise NotImplementedError

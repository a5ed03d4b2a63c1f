"""Turning stored rows into records: JSON text fields decoded, lax number/bool types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

if TYPE_CHECKING:
    from _typeshed import SupportsKeysAndGetItem

R = TypeVar("R")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def dumps(value: Any) -> str:
    return _encoder.encode(value).decode()


def dumps_or_none(value: Any) -> str | None:
    """`dumps`, except that None stays None."""
    return None if value is None else dumps(value)


def loads(text: str | bytes) -> Any:
    return _decoder.decode(text)


def to_record(
    cls: type[R], row: SupportsKeysAndGetItem[str, Any], json_fields: Iterable[str] = ()
) -> R:
    """Build `cls` from a row, decoding the named JSON text fields that are present."""
    data = dict(row)
    for name in json_fields:
        value = data.get(name)
        if value is not None:
            data[name] = loads(value)
    return msgspec.convert(data, cls, strict=False)

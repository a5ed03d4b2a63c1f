"""Bytes to text: BOMs, UTF-8, a Windows-1252 fallback, and a refusal for binary data."""

from __future__ import annotations

import codecs
import json

from flowstead.engine.extract.errors import ExtractError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, charset: str | None = None) -> str:
    """Text from bytes; a NUL byte (outside UTF-16/32) means it is not text."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, "replace")
    if b"\x00" in data[:8192]:
        raise ExtractError("it is binary data, not text")
    if charset:
        try:
            return data.decode(charset, "replace")
        except LookupError:
            pass  # an unknown charset name: guess as if none was given
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def pretty_json(text: str) -> str:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractError(f"it is not valid JSON: {exc}") from exc
    return json.dumps(value, indent=2, ensure_ascii=False)

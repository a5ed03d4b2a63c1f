"""Text from file bytes, by type: pure functions the document extractor and tools share.

What each type becomes: plain text and Markdown as they are; HTML as its visible text; CSV
as a Markdown table; JSON pretty-printed; PDF and .docx as the text of their pages.
"""

from __future__ import annotations

import csv
import posixpath
import re
from collections.abc import Callable

from flowstead.engine.extract.docx import docx_text
from flowstead.engine.extract.errors import ExtractError
from flowstead.engine.extract.html import html_to_text
from flowstead.engine.extract.pdf import pdf_text
from flowstead.engine.extract.tables import csv_to_markdown
from flowstead.engine.extract.text import decode, pretty_json

__all__ = ["SUPPORTED", "ExtractError", "decode", "extract_text", "html_to_text"]

# Each takes the bytes and the charset named with the MIME type, if any.
Extractor = Callable[[bytes, str | None], str]

_EXTRACTORS: dict[str, Extractor] = {
    "text": decode,
    "html": lambda data, charset: "\n\n".join(filter(None, html_to_text(decode(data, charset)))),
    "csv": lambda data, charset: csv_to_markdown(decode(data, charset)),
    "json": lambda data, charset: pretty_json(decode(data, charset)),
    "pdf": lambda data, _charset: pdf_text(data),
    "docx": lambda data, _charset: docx_text(data),
}
_TEXT_EXTENSIONS = (
    "txt", "text", "md", "markdown", "mdx", "rst", "log", "ini", "cfg", "conf", "toml", "yaml",
    "yml", "xml", "py", "js", "ts", "sql", "sh",
)  # fmt: skip
_BY_EXTENSION = dict.fromkeys(_TEXT_EXTENSIONS, "text") | {
    "html": "html",
    "htm": "html",
    "xhtml": "html",
    "csv": "csv",
    "tsv": "csv",
    "json": "json",
    "pdf": "pdf",
    "docx": "docx",
}
_BY_MIME = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/csv": "csv",
    "application/json": "json",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
SUPPORTED = sorted(_BY_EXTENSION)


def extract_text(data: bytes, name: str, mime_type: str | None = None) -> str:
    """The text of a file, chosen by its extension, else its MIME type; raises `ExtractError`.

    `mime_type` may carry a charset (`text/html; charset=iso-8859-1`), as HTTP sends it."""
    media_type, _, parameters = (mime_type or "").partition(";")
    charset = re.search(r"charset=[\"']?([\w.:-]+)", parameters, re.IGNORECASE)
    kind = _kind(name, media_type.strip().lower())
    if kind is None:
        described = posixpath.splitext(name)[1] or mime_type or "without an extension"
        raise ExtractError(
            f"unsupported file type ({described}); supported: {', '.join(SUPPORTED)}"
        )
    try:
        return _EXTRACTORS[kind](data, charset.group(1) if charset else None)
    except csv.Error as exc:
        raise ExtractError(f"it is not readable CSV: {exc}") from exc


def _kind(name: str, mime_type: str) -> str | None:
    extension = posixpath.splitext(name)[1].lstrip(".").lower()
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    if mime_type in _BY_MIME:
        return _BY_MIME[mime_type]
    return "text" if mime_type.startswith("text/") else None

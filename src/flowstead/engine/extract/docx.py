"""Text of a Word (.docx) document: its paragraphs, read from the zip with the stdlib."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from flowstead.engine.extract.errors import ExtractError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# The document part of a real file is far smaller; a bigger one is a zip bomb.
MAX_XML_BYTES = 64 * 1024 * 1024


def docx_text(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("word/document.xml") as f:
            xml = f.read(MAX_XML_BYTES + 1)
        if len(xml) > MAX_XML_BYTES:
            raise ExtractError("its text part is larger than 64 MB")
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ExtractError(f"it is not a readable .docx file ({exc})") from exc
    paragraphs = (_paragraph(p) for p in root.iter(f"{_W}p"))
    return "\n".join(p for p in paragraphs if p.strip())


def _paragraph(element: ElementTree.Element) -> str:
    parts: list[str] = []
    for node in element.iter():
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts)

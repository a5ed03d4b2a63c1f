"""Document extractor: text from files (txt, md, html, csv, json, pdf, docx).

One file gives one string; a list of files gives a list of strings. What each type becomes
is described in `engine/extract/`.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Mapping
from typing import Any

import msgspec

from flowstead.engine import selectors
from flowstead.engine.extract import ExtractError, extract_text
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec


class DocumentExtractorConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # A selector of a file or a list of files.
    variable: str = ""


async def run(config: DocumentExtractorConfig, ctx: NodeContext) -> NodeResult:
    if not config.variable:
        return NodeResult.fail("choose the file variable to read")
    try:
        value = ctx.resolve(config.variable)
    except selectors.Missing as exc:
        return NodeResult.fail(str(exc))
    files = value if isinstance(value, list) else [value]
    names = [_file_name(f) if _is_file(f) else None for f in files]
    inputs = {"files": names}
    texts: list[str] = []
    for file, name in zip(files, names, strict=True):
        if name is None:
            kind = type(file).__name__
            return NodeResult.fail(f"`{config.variable}` holds a {kind}, not a file", inputs=inputs)
        try:
            content = await ctx.files.read(file)
        except Exception as exc:  # the Files port names no error type; any is a read failure
            return NodeResult.fail(f"could not read file '{name}': {exc}", inputs=inputs)
        # The name's extension decides; without one, the value's type or the one served.
        mime_type = content.type_for(file)
        try:
            # Parsing a large PDF takes a while; the event loop serves other runs meanwhile.
            text = await asyncio.to_thread(extract_text, content.data, name, mime_type)
        except ExtractError as exc:
            return NodeResult.fail(f"could not extract text from '{name}': {exc}", inputs=inputs)
        texts.append(text)
    return NodeResult.ok({"text": texts if isinstance(value, list) else texts[0]}, inputs=inputs)


def _file_name(file: Mapping[str, Any]) -> str:
    """The file's name, or the last part of its URL, for messages and the type by extension."""
    url = str(file.get("url") or "").split("?")[0]
    return str(file.get("name") or posixpath.basename(url) or "unnamed file")


def _is_file(value: Any) -> bool:
    return isinstance(value, Mapping) and ("id" in value or "url" in value)


SPEC: NodeSpec[DocumentExtractorConfig] = NodeSpec(
    type="document_extractor",
    label="Document extractor",
    config=DocumentExtractorConfig,
    run=run,
    outputs=lambda c: {"text": "any"},
    category="transform",
)

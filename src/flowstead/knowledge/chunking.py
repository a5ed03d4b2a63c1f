"""Text into overlapping chunks of at most `size` characters, split at the best separator.

Markdown is first cut into sections at its headings, so a chunk never straddles two
sections and carries the path of headings above it (`("Install", "On Linux")`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# Paragraphs, then lines, then sentences, then words; past the last one, anywhere.
DEFAULT_SEPARATORS = ("\n\n", "\n", ". ", " ")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class ChunkingSettings:
    size: int = 512
    overlap: int = 64
    separators: tuple[str, ...] = DEFAULT_SEPARATORS


@dataclass(frozen=True)
class Piece:
    """A chunk's text and the Markdown headings it sits under (outermost first)."""

    text: str
    headings: tuple[str, ...] = ()


def chunk_text(text: str, settings: ChunkingSettings, *, markdown: bool = False) -> list[Piece]:
    """The chunks of a document's text, in order."""
    if not markdown:
        return [Piece(chunk) for chunk in split(text, settings)]
    return [
        Piece(chunk, headings)
        for headings, section in markdown_sections(text)
        for chunk in split(section, settings)
    ]


def split(text: str, settings: ChunkingSettings) -> list[str]:
    """Chunks of at most `size` characters; neighbours share up to `overlap` characters."""
    separators = settings.separators or DEFAULT_SEPARATORS
    pieces = _pieces(text, tuple(separators), settings.size)
    return _merge(pieces, settings.size, settings.overlap)


def markdown_sections(text: str) -> Iterator[tuple[tuple[str, ...], str]]:
    """(heading path, text) of each section with a body; `#` lines in code fences are code."""
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if opened and (fence is None or opened.group(1).startswith(fence)):
            fence = opened.group(1)[:3] if fence is None else None
        heading = _HEADING.match(line.rstrip("\n")) if fence is None else None
        if heading:
            yield from _section(path, lines)
            level = len(heading.group(1))
            path = [*(entry for entry in path if entry[0] < level), (level, heading.group(2))]
            lines = [line]
        else:
            lines.append(line)
    yield from _section(path, lines)


def _section(
    path: Sequence[tuple[int, str]], lines: Sequence[str]
) -> Iterator[tuple[tuple[str, ...], str]]:
    body = lines[1:] if path and lines and _HEADING.match(lines[0].rstrip("\n")) else lines
    if "".join(body).strip():
        yield tuple(title for _, title in path), "".join(lines)


def _pieces(text: str, separators: tuple[str, ...], size: int) -> list[str]:
    """Text cut at the first separator it contains (kept on the left piece), and pieces
    still too long cut again with the separators after it; with none left, anywhere."""
    index = next((i for i, sep in enumerate(separators) if sep and sep in text), None)
    if index is None:
        return [text[i : i + size] for i in range(0, len(text), size)]
    separator, finer = separators[index], separators[index + 1 :]
    parts = text.split(separator)
    kept = [part + separator for part in parts[:-1]] + [parts[-1]]
    pieces: list[str] = []
    for part in kept:
        if len(part) <= size:
            pieces.append(part)
        else:
            pieces.extend(_pieces(part, finer, size))
    return pieces


def _merge(pieces: Sequence[str], size: int, overlap: int) -> list[str]:
    """Pieces joined into chunks up to `size`; each new chunk starts with the last pieces of
    the one before that fit in `overlap`."""
    chunks: list[str] = []
    window: list[str] = []
    length = 0
    for piece in pieces:
        if window and length + len(piece) > size:
            chunks.append("".join(window))
            while window and (length > overlap or length + len(piece) > size):
                length -= len(window.pop(0))
        window.append(piece)
        length += len(piece)
    if window:
        chunks.append("".join(window))
    stripped = (chunk.strip() for chunk in chunks)
    return [chunk for chunk in stripped if chunk]

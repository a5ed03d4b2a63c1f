from __future__ import annotations

import itertools

from flowstead.knowledge.chunking import (
    ChunkingSettings,
    Piece,
    chunk_text,
    markdown_sections,
    split,
)

PARAGRAPHS = (
    "First paragraph. It has two sentences.\n\n"
    "Second paragraph is longer than the first one and goes on for a while.\n\n"
    "Third."
)


def test_chunks_respect_the_size_and_keep_all_text() -> None:
    settings = ChunkingSettings(size=40, overlap=0)

    chunks = split(PARAGRAPHS, settings)

    assert all(len(chunk) <= 40 for chunk in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(PARAGRAPHS.split())


def test_neighbours_overlap_by_at_most_the_overlap() -> None:
    text = " ".join(f"word{n}" for n in range(60))

    chunks = split(text, ChunkingSettings(size=50, overlap=15))

    assert len(chunks) > 3
    for before, after in itertools.pairwise(chunks):
        shared = next((n for n in range(len(after), 0, -1) if before.endswith(after[:n])), 0)
        assert 0 < shared <= 15


def test_short_text_is_one_chunk_and_blank_text_none() -> None:
    assert split("Just this.", ChunkingSettings()) == ["Just this."]
    assert split(" \n\n \n", ChunkingSettings()) == []


def test_the_first_separator_found_wins() -> None:
    text = "alpha beta; gamma delta; epsilon zeta"

    chunks = split(text, ChunkingSettings(size=20, overlap=0, separators=("; ",)))

    assert chunks == ["alpha beta;", "gamma delta;", "epsilon zeta"]


def test_text_without_any_separator_is_cut_anywhere() -> None:
    chunks = split("x" * 25, ChunkingSettings(size=10, overlap=0, separators=("\n",)))

    assert chunks == ["x" * 10, "x" * 10, "x" * 5]


MARKDOWN = """Preface without a heading.

# Guide

Intro text.

## Install

Run the installer.

```sh
# a comment, not a heading
```

### On Linux ###

Use the package manager.

## Empty
## Usage
Start it.
"""


def test_markdown_sections_carry_their_heading_path() -> None:
    sections = list(markdown_sections(MARKDOWN))

    assert [headings for headings, _ in sections] == [
        (),
        ("Guide",),
        ("Guide", "Install"),
        ("Guide", "Install", "On Linux"),
        ("Guide", "Usage"),
    ]
    assert "# a comment, not a heading" in sections[2][1]
    assert sections[3][1].startswith("### On Linux ###")


def test_markdown_chunks_never_straddle_sections() -> None:
    pieces = chunk_text(MARKDOWN, ChunkingSettings(size=1000, overlap=0), markdown=True)

    assert pieces[-1] == Piece("## Usage\nStart it.", ("Guide", "Usage"))
    assert len(pieces) == 5


def test_plain_text_ignores_headings() -> None:
    pieces = chunk_text(MARKDOWN, ChunkingSettings(size=1000, overlap=0))

    assert len(pieces) == 1
    assert pieces[0].headings == ()

"""The README's corpus table is the one `corpus_table` generates from the scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.dify.conftest import CORPUS_FILES, needs_corpus
from tests.integration.dify.corpus_table import markdown, readme_table

README = Path(__file__).parents[3] / "README.md"
pytestmark = needs_corpus


def test_one_row_per_corpus_file() -> None:
    rows = markdown().splitlines()[2:]
    assert [row.split(" | ")[0].strip("| ") for row in rows] == [p.name[:2] for p in CORPUS_FILES]


def test_the_readme_has_the_current_table() -> None:
    found = readme_table(README)
    if found is None:
        pytest.skip("the README has no Dify corpus table between the markers yet")
    assert found == markdown(), "regenerate it: python -m tests.integration.dify.corpus_table"

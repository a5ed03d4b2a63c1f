"""The API in-process on a fresh data dir (with a body limit above the 10 MB Dify file limit,
so the importer's own check is what refuses a large file), and the Dify DSL corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowstead.settings import Settings
from tests.integration.api.conftest import PASSWORD
from tests.integration.api.conftest import client as client
from tests.integration.api.conftest import store as store

CORPUS = Path(__file__).parents[3] / "../shared/dify-dsl"
CORPUS_FILES = sorted(CORPUS.glob("*.yml"))
needs_corpus = pytest.mark.skipif(
    not CORPUS_FILES, reason=f"the Dify DSL corpus is not at {CORPUS}"
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path, password=PASSWORD, max_upload_mb=12)

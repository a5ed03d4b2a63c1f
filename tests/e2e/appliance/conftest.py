"""Fixtures for the appliance tests: short data dirs (supervisord's control socket path
must fit in 107 bytes) and a fake OpenAI server whose stream can be held mid-run."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.api.processes import LockstepModelServer


def _fresh_data_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="fs-e2e-"))
    try:
        yield root / "data"
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    yield from _fresh_data_dir()


@pytest.fixture(scope="module")
def module_data_dir() -> Iterator[Path]:
    yield from _fresh_data_dir()


@pytest.fixture(scope="module")
def model() -> Iterator[LockstepModelServer]:
    with LockstepModelServer() as server:
        yield server


@pytest.fixture(autouse=True)
def ungated(model: LockstepModelServer) -> Iterator[None]:
    model.reset(gated=False)
    yield
    model.reset(gated=False)

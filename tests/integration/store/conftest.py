"""One store per test, on each adapter: SQLite file, SurrealDB mem:// and surrealkv://."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from flowstead.store import Store, open_store

BACKENDS = {
    "sqlite": "sqlite:///{dir}/flowstead.db",
    "surreal-mem": "mem://",
    "surrealkv": "surrealkv://{dir}/surreal",
}
PERSISTENT = ["sqlite", "surrealkv"]

Opener = Callable[[], Awaitable[Store]]


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> str:
    return BACKENDS[backend].format(dir=tmp_path)


@pytest.fixture
async def store(database_url: str, tmp_path: Path) -> AsyncIterator[Store]:
    async with await open_store(database_url, tmp_path) as opened:
        yield opened


@pytest.fixture(params=PERSISTENT)
def persistent_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return BACKENDS[str(request.param)].format(dir=tmp_path)


@pytest.fixture
def reopen(persistent_url: str, tmp_path: Path) -> Opener:
    """Open the persistent store at the same place again (after closing the last one)."""

    async def opener() -> Store:
        return await open_store(persistent_url, tmp_path)

    return opener

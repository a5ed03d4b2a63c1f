"""Pytest fixtures that start fake servers for one test and stop them after it.

Use them from a conftest.py with `from tests.fakes.fixtures import openai_server as
openai_server` (one line per fixture), or from the root conftest with
`pytest_plugins = ["tests.fakes.fixtures"]`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.echo import EchoServer
from tests.fakes.models import KINDS, FakeModelServer


@pytest.fixture
def openai_server() -> Iterator[FakeModelServer]:
    with FakeModelServer("openai") as server:
        yield server


@pytest.fixture
def ollama_server() -> Iterator[FakeModelServer]:
    with FakeModelServer("ollama") as server:
        yield server


@pytest.fixture
def anthropic_server() -> Iterator[FakeModelServer]:
    with FakeModelServer("anthropic") as server:
        yield server


@pytest.fixture(params=KINDS)
def model_server(request: pytest.FixtureRequest) -> Iterator[FakeModelServer]:
    """Each of the three kinds in turn (the test runs once per kind)."""
    with FakeModelServer(request.param) as server:
        yield server


@pytest.fixture
def echo_server() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server

"""The web app (the API plus the studio pages) in-process on a fresh SQLite data dir per
test; pages are asked for with the instance password as a Bearer token, which the page
guard accepts like a session."""

from __future__ import annotations

import asyncio
import html as html_lib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from flowstead.api.app import create_app
from flowstead.services import workflows
from flowstead.services.runs import TERMINAL
from flowstead.settings import Settings
from flowstead.store import open_store
from flowstead.store.protocol import Store
from flowstead.store.records import Run
from tests.fakes.fixtures import openai_server as openai_server
from tests.integration.api.conftest import worker as worker

PASSWORD = "correct horse battery staple"
ADMIN = {"Authorization": f"Bearer {PASSWORD}"}
HTMX = {**ADMIN, "HX-Request": "true"}
DIFY_CORPUS = Path(__file__).parents[3] / "../shared/dify-dsl"

Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path, password=PASSWORD, max_upload_mb=2)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(settings, web=True)) as test_client:
        yield test_client


@pytest.fixture
async def store(client: Client, settings: Settings) -> AsyncIterator[Store]:
    """A connection of the test's own to the app's database (the app's store lives on the
    test client's event loop, in another thread)."""
    async with await open_store(settings.database_url, settings.data_dir) as opened:
        yield opened


async def wait_finished(store: Store, run_id: str) -> Run:
    """The run once it has finished (the worker thread runs it)."""
    while True:
        run = await store.runs.get(run_id)
        assert run is not None
        if run.status in TERMINAL:
            return run
        await asyncio.sleep(0.02)


def llm_document(provider: str = "fake", mode: str = "workflow") -> dict[str, Any]:
    """Start (a question) → LLM → End (or Answer in chat mode)."""
    last: dict[str, Any] = (
        {"id": "answer", "type": "answer", "config": {"text": "{{ llm.text }}"}}
        if mode == "chat"
        else {
            "id": "end",
            "type": "end",
            "config": {"outputs": [{"name": "answer", "value": "llm.text"}]},
        }
    )
    question = "{{ sys.query }}" if mode == "chat" else "{{ start.question }}"
    inputs = [] if mode == "chat" else [{"name": "question", "type": "paragraph"}]
    return {
        "flowstead": 1,
        "mode": mode,
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "title": "Start",
                "position": {"x": 0, "y": 0},
                "config": {"inputs": inputs},
            },
            {
                "id": "llm",
                "type": "llm",
                "title": "LLM",
                "position": {"x": 300, "y": 0},
                "config": {
                    "model": {"provider": provider, "name": "fake-chat"},
                    "messages": [{"role": "user", "text": question}],
                },
            },
            {**last, "position": {"x": 600, "y": 0}},
        ],
        "edges": [{"from": "start", "to": "llm"}, {"from": "llm", "to": last["id"]}],
    }


async def create(store: Store, document: dict[str, Any] | None = None, name: str = "Ask") -> str:
    draft = await workflows.create(store, name=name, document=document or llm_document())
    return draft.workflow.id


def text_of(html: str) -> str:
    """The page's text without tags and with spaces collapsed, for plain assertions."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html_lib.unescape(without_tags)).strip()


def assert_ok(response: httpx.Response, status: int = 200) -> str:
    assert response.status_code == status, response.text[:2000]
    return response.text

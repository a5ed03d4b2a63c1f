"""The API in-process (Litestar's AsyncTestClient) on a fresh SQLite data dir per test."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from flowstead.api.app import create_app
from flowstead.services.collaborators import open_collaborators
from flowstead.services.execution import RunExecutor
from flowstead.services.notify import Notifier
from flowstead.settings import Settings
from flowstead.store import open_store
from flowstead.store.protocol import RUN_JOB_KIND, Store
from flowstead.worker.main import limits
from flowstead.worker.worker import Worker
from tests.fakes.fixtures import openai_server as openai_server
from tests.fakes.models import FakeModelServer

PASSWORD = "correct horse battery staple"
ADMIN = {"Authorization": f"Bearer {PASSWORD}"}
MIB = 1024 * 1024

Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path, password=PASSWORD, max_upload_mb=1)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def store(client: Client) -> Store:
    found: Store = client.app.state.store
    return found


async def create_workflow(client: Client, **fields: Any) -> dict[str, Any]:
    body = {"name": "Greeter", "description": "says hello", "trigger": "manual"} | fields
    response = await client.post("/api/workflows", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def publish(client: Client, workflow_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/workflows/{workflow_id}/versions", headers=ADMIN)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def app_key(client: Client, workflow_id: str) -> dict[str, str]:
    response = await client.post(f"/api/workflows/{workflow_id}/keys", headers=ADMIN, json={})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> str:
    """The response is the JSON error shape with this status (and code); returns the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["message"], str)
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    message: str = body["message"]
    return message


async def snapshot(store: Store) -> tuple[Any, ...]:
    """Everything a rejected request might have stored half-way."""
    workflows = await store.workflows.list(limit=1000)
    conversations = []
    for workflow in workflows:
        for user in ("alice", "bob", ""):
            conversations += await store.conversations.list(
                workflow_id=workflow.id, user=user, limit=1000
            )
    return (
        workflows,
        await store.runs.list(limit=1000),
        await store.jobs.list(limit=1000),
        conversations,
    )


async def _serve_worker(settings: Settings, stopping: asyncio.Event) -> None:
    store = await open_store(settings.database_url, settings.data_dir)
    async with (
        store,
        Notifier.for_data_dir(settings.data_dir) as notifier,
        open_collaborators(store, settings.data_dir, max_file_bytes=MIB) as collaborators,
    ):
        executor = RunExecutor(store, notifier, collaborators, limits=limits(settings))
        handlers = {RUN_JOB_KIND: executor.execute_job}
        running = Worker(store, notifier, handlers, lease_seconds=5.0, grace_seconds=1.0)
        await running.run(stopping)


@contextmanager
def on_a_thread(serve: Callable[[asyncio.Event], Awaitable[None]]) -> Iterator[None]:
    """`serve(stopping)` on a thread and event loop of its own until the block ends, as a
    separate `flowstead worker` process would run.

    (The test client runs the app on a thread of its own and blocks the test's loop while
    it waits for an answer, so a worker on the test's loop would stall.)"""
    ready: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    started = threading.Event()

    async def main() -> None:
        stopping = asyncio.Event()
        ready.append((asyncio.get_running_loop(), stopping))
        started.set()
        await serve(stopping)

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="worker")
    thread.start()
    started.wait()
    try:
        yield
    finally:
        loop, stopping = ready[0]
        loop.call_soon_threadsafe(stopping.set)
        thread.join()


@pytest.fixture
def worker(settings: Settings, client: Client) -> Iterator[None]:
    """A worker with its own store connection and notification socket."""
    with on_a_thread(lambda stopping: _serve_worker(settings, stopping)):
        yield


TEMPLATE_DOCUMENT: dict[str, Any] = {
    "flowstead": 1,
    "nodes": [
        {
            "id": "start",
            "type": "start",
            "config": {"inputs": [{"name": "name", "label": "Your name", "max_length": 48}]},
        },
        {"id": "greet", "type": "template", "config": {"template": "Hello {{ start.name }}!"}},
        {
            "id": "end",
            "type": "end",
            "config": {"outputs": [{"name": "greeting", "value": "greet.output"}]},
        },
    ],
    "edges": [{"from": "start", "to": "greet"}, {"from": "greet", "to": "end"}],
}


def llm_document(provider: str = "fake") -> dict[str, Any]:
    """Start → LLM → End, the LLM's text streamed to the End's `answer`."""
    return {
        "flowstead": 1,
        "nodes": [
            {"id": "start", "type": "start", "config": {"inputs": [{"name": "question"}]}},
            {
                "id": "llm",
                "type": "llm",
                "config": {
                    "model": {"provider": provider, "name": "fake-chat"},
                    "messages": [{"role": "user", "text": "{{ start.question }}"}],
                },
            },
            {
                "id": "end",
                "type": "end",
                "config": {"outputs": [{"name": "answer", "value": "llm.text"}]},
            },
        ],
        "edges": [{"from": "start", "to": "llm"}, {"from": "llm", "to": "end"}],
    }


def chat_document(provider: str = "fake") -> dict[str, Any]:
    """Start → LLM (with memory) → count the turns → Answer."""
    return {
        "flowstead": 1,
        "mode": "chat",
        "conversation_variables": [{"name": "turns", "type": "number", "default": 0}],
        "nodes": [
            {"id": "start", "type": "start", "config": {"inputs": []}},
            {
                "id": "llm",
                "type": "llm",
                "config": {
                    "model": {"provider": provider, "name": "fake-chat"},
                    "memory": {"window": 5},
                    "messages": [{"role": "user", "text": "{{ sys.query }}"}],
                },
            },
            {
                "id": "count",
                "type": "variable_assigner",
                "config": {
                    "items": [
                        {
                            "variable": "conversation.turns",
                            "operation": "+=",
                            "input_type": "constant",
                            "value": 1,
                        }
                    ]
                },
            },
            {
                "id": "answer",
                "type": "answer",
                "config": {"text": "{{ llm.text }} (turn {{ conversation.turns }})"},
            },
        ],
        "edges": [
            {"from": "start", "to": "llm"},
            {"from": "llm", "to": "count"},
            {"from": "count", "to": "answer"},
        ],
    }


async def published_app(client: Client, **fields: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A created and published workflow, and the headers of an app key for it."""
    workflow = await create_workflow(client, **fields)
    await publish(client, workflow["id"])
    return workflow, await app_key(client, workflow["id"])


async def add_provider(client: Client, server: FakeModelServer, name: str = "fake") -> None:
    body = {"kind": server.kind, "base_url": server.base_url, "api_key": "sk-test"}
    response = await client.put(f"/api/providers/{name}", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text


def sse_events(body: str) -> list[dict[str, Any]]:
    """The `data:` payloads of a Dify stream (pings left out)."""
    return [
        json.loads(block.removeprefix("data: "))
        for block in body.split("\n\n")
        if block.startswith("data: ")
    ]

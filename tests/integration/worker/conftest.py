"""A store on a temporary data dir, a fake model server, workflows that use it, and real
`flowstead worker` processes started with the same settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flowstead.services.notify import Notifier
from flowstead.services.runs import RunService
from flowstead.settings import Settings
from flowstead.store import Store, open_store
from tests.fakes import FakeModelServer, RecordedRequest, Reply
from tests.fakes.script import last_user_text

PROVIDER = "fake"
# Generous bounds for a run to end; a test that hits one has failed, not been slow.
WAIT = 30.0


def workflow_document(prompt: str = "{{ start.question }}") -> dict[str, Any]:
    """Start → LLM → End: the three-node template."""
    return {
        "flowstead": 1,
        "name": "ask",
        "nodes": [
            {"id": "start", "type": "start", "config": {"inputs": [{"name": "question"}]}},
            {
                "id": "llm",
                "type": "llm",
                "config": {
                    "model": {"provider": PROVIDER, "name": "fake-chat"},
                    "messages": [{"role": "user", "text": prompt}],
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


def chat_document() -> dict[str, Any]:
    """Start → count the turn in a conversation variable → LLM with memory → Answer."""
    return {
        "flowstead": 1,
        "name": "chat",
        "mode": "chat",
        "conversation_variables": [{"name": "turns", "type": "number", "default": 0}],
        "nodes": [
            {"id": "start", "type": "start"},
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
                "id": "llm",
                "type": "llm",
                "config": {
                    "model": {"provider": PROVIDER, "name": "fake-chat"},
                    "messages": [{"role": "user", "text": "{{ sys.query }}"}],
                    "memory": {"window": 10},
                },
            },
            {"id": "answer", "type": "answer", "config": {"text": "{{ llm.text }}"}},
        ],
        "edges": [
            {"from": "start", "to": "count"},
            {"from": "count", "to": "llm"},
            {"from": "llm", "to": "answer"},
        ],
    }


def echo_everything(request: RecordedRequest) -> Reply:
    """Answer with every user message the model received, oldest first."""
    messages = (request.json or {}).get("messages") or []
    said = [m["content"] for m in messages if m.get("role") == "user"]
    return Reply(text=" | ".join(said) or last_user_text(request.json))


@pytest.fixture
def model_server() -> Iterator[FakeModelServer]:
    with FakeModelServer("openai", rule=echo_everything) as server:
        yield server


@pytest.fixture
def database_url() -> str:
    """Empty: SQLite in the data dir (several processes can share it)."""
    return ""


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.from_env(
        {"FLOWSTEAD_DATABASE_URL": database_url},
        data_dir=tmp_path / "data",
        job_lease_seconds=1.0,
        worker_concurrency=2,
    )


@pytest.fixture
async def store(settings: Settings, model_server: FakeModelServer) -> AsyncIterator[Store]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with await open_store(settings.database_url, settings.data_dir) as opened:
        await opened.providers.put(PROVIDER, kind="openai", base_url=model_server.base_url)
        yield opened


@pytest.fixture
async def notifier(settings: Settings) -> AsyncIterator[Notifier]:
    async with Notifier.for_data_dir(settings.data_dir) as opened:
        yield opened


@pytest.fixture
def runs(store: Store, notifier: Notifier) -> RunService:
    return RunService(store, notifier)


async def published(store: Store, document: dict[str, Any]) -> str:
    workflow = await store.workflows.create(name="test", document=document)
    await store.workflows.publish(workflow.id)
    return workflow.id


class WorkerProcess:
    """`flowstead worker` in its own process, its JSON log lines in a file."""

    def __init__(self, settings: Settings, log: Path, grace_seconds: float) -> None:
        self.log = log
        self._output = log.open("ab")
        command = "from flowstead.cli import main; raise SystemExit(main())"
        self.process = subprocess.Popen(
            [sys.executable, "-c", command, "worker", "--grace-seconds", str(grace_seconds)],
            env={**os.environ, **settings.to_env()},
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = WAIT) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._output.close()


StartWorker = Callable[..., WorkerProcess]


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[StartWorker]:
    """`start_worker(grace_seconds=10.0)` starts one more worker; all are gone after the test."""
    started: list[WorkerProcess] = []

    def start(grace_seconds: float = 10.0) -> WorkerProcess:
        worker = WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log", grace_seconds)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()

"""The fake servers' own promises: non-streamed answers, determinism, the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fakes import FakeModelServer, FakeToolCall, Reply, fake_embedding

ROOT = Path(__file__).resolve().parents[3]

CHAT = {
    "openai": ("/v1/chat/completions", lambda body: body["choices"][0]["message"]["content"]),
    "ollama": ("/api/chat", lambda body: body["message"]["content"]),
    "anthropic": ("/v1/messages", lambda body: body["content"][0]["text"]),
}


def test_non_streamed_answers(model_server: FakeModelServer) -> None:
    path, text_of = CHAT[model_server.kind]
    model_server.enqueue(Reply(text="whole answer", tool_calls=[FakeToolCall("f", {"x": 1})]))
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": False}

    response = httpx.post(model_server.url + path, json=body)

    assert response.status_code == 200
    assert text_of(response.json()) == "whole answer"
    assert "f" in response.text


def test_unknown_routes_answer_404_in_the_wire_format(model_server: FakeModelServer) -> None:
    response = httpx.get(f"{model_server.url}/v1/nothing")

    assert response.status_code == 404
    assert "no route for GET /v1/nothing" in response.text


def test_embeddings_are_deterministic_unit_vectors() -> None:
    vector = fake_embedding("hello", 8)

    assert vector == fake_embedding("hello", 8)
    assert vector != fake_embedding("hello!", 8)
    assert sum(x * x for x in vector) == pytest.approx(1.0)


def test_the_command_line_server() -> None:
    command = [sys.executable, "-m", "tests.fakes.serve", "--kind", "ollama", "--port", "0"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[-1]
            body = {"model": "m", "messages": [{"role": "user", "content": "ping"}]}
            with httpx.stream("POST", f"{url}/api/chat", json=body) as response:
                lines = list(response.iter_lines())
        finally:
            process.terminate()
    assert process.returncode == 0
    assert len(lines) > 3
    assert '"done": true' in lines[-1]

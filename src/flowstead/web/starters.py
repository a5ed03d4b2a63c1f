"""The workflows a new one can start from: a blank canvas or a small working template."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Data = dict[str, Any]


@dataclass(frozen=True)
class Starter:
    id: str
    name: str
    description: str
    mode: str
    build: Callable[[str, str], Data]
    """(provider id, model name) → a document; both may be empty."""


def _model(provider: str, model: str) -> Data:
    return {k: v for k, v in (("provider", provider), ("name", model)) if v}


def _blank(_provider: str, _model_name: str) -> Data:
    return {"flowstead": 1, "mode": "workflow", "nodes": [], "edges": []}


def _start_llm_end(provider: str, model: str) -> Data:
    return {
        "flowstead": 1,
        "mode": "workflow",
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "title": "Start",
                "position": {"x": 60, "y": 200},
                "config": {"inputs": [{"name": "question", "type": "paragraph"}]},
            },
            {
                "id": "llm",
                "type": "llm",
                "title": "LLM",
                "position": {"x": 360, "y": 200},
                "config": {
                    "model": _model(provider, model),
                    "system": "You are a helpful assistant. Answer briefly.",
                    "messages": [{"role": "user", "text": "{{ start.question }}"}],
                },
            },
            {
                "id": "end",
                "type": "end",
                "title": "End",
                "position": {"x": 660, "y": 200},
                "config": {"outputs": [{"name": "answer", "value": "llm.text"}]},
            },
        ],
        "edges": [{"from": "start", "to": "llm"}, {"from": "llm", "to": "end"}],
    }


def _summarize_url(provider: str, model: str) -> Data:
    return {
        "flowstead": 1,
        "mode": "workflow",
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "title": "Start",
                "position": {"x": 40, "y": 200},
                "config": {"inputs": [{"name": "url", "type": "text", "label": "Page URL"}]},
            },
            {
                "id": "fetch",
                "type": "http",
                "title": "Fetch the page",
                "position": {"x": 320, "y": 200},
                "config": {"method": "GET", "url": "{{ start.url }}"},
            },
            {
                "id": "summarize",
                "type": "llm",
                "title": "Summarize",
                "position": {"x": 600, "y": 200},
                "config": {
                    "model": _model(provider, model),
                    "system": "Summarize web pages in five bullet points. Ignore markup.",
                    "messages": [
                        {
                            "role": "user",
                            "text": "Page {{ start.url }}:\n\n{{ fetch.body[:20000] }}",
                        }
                    ],
                },
            },
            {
                "id": "end",
                "type": "end",
                "title": "End",
                "position": {"x": 880, "y": 200},
                "config": {
                    "outputs": [
                        {"name": "summary", "value": "summarize.text"},
                        {"name": "status", "value": "fetch.status_code"},
                    ]
                },
            },
        ],
        "edges": [
            {"from": "start", "to": "fetch"},
            {"from": "fetch", "to": "summarize"},
            {"from": "summarize", "to": "end"},
        ],
    }


def _chat(provider: str, model: str) -> Data:
    return {
        "flowstead": 1,
        "mode": "chat",
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "title": "Start",
                "position": {"x": 60, "y": 200},
                "config": {"inputs": []},
            },
            {
                "id": "llm",
                "type": "llm",
                "title": "LLM",
                "position": {"x": 360, "y": 200},
                "config": {
                    "model": _model(provider, model),
                    "system": "You are a friendly assistant.",
                    "messages": [{"role": "user", "text": "{{ sys.query }}"}],
                    "memory": {"window": 10},
                },
            },
            {
                "id": "answer",
                "type": "answer",
                "title": "Answer",
                "position": {"x": 660, "y": 200},
                "config": {"text": "{{ llm.text }}"},
            },
        ],
        "edges": [{"from": "start", "to": "llm"}, {"from": "llm", "to": "answer"}],
    }


STARTERS: dict[str, Starter] = {
    s.id: s
    for s in (
        Starter("blank", "Blank", "An empty canvas.", "workflow", _blank),
        Starter(
            "start-llm-end",
            "Start → LLM → End",
            "Ask a model a question and return its answer.",
            "workflow",
            _start_llm_end,
        ),
        Starter(
            "summarize-url",
            "Summarize a URL",
            "Fetch a web page and summarize it in five bullet points.",
            "workflow",
            _summarize_url,
        ),
        Starter(
            "chat",
            "Chat assistant",
            "A chat workflow that remembers the last ten turns.",
            "chat",
            _chat,
        ),
    )
}

"""A node that streams, fails and is retried: the run panel drops the failed attempt's text
and shows only what the successful attempt wrote."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.canvas.conftest import Studio
from tests.e2e.canvas.helpers import add_provider
from tests.fakes.script import Cut, Reply

LOST = "these words belong to a broken stream"
ANSWER = "the second attempt answers in full"


RETRYING = {
    "flowstead": 1,
    "name": "Retried stream",
    "nodes": [
        {"id": "start", "type": "start", "config": {"inputs": [{"name": "question"}]}},
        {
            "id": "llm",
            "type": "llm",
            "retry": {"max_attempts": 1, "interval": 0},
            "config": {
                "model": {"provider": "fake", "name": "fake-chat"},
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


def create_workflow(studio: Studio, document: dict[str, Any]) -> str:
    """Through the admin API (the studio serves it too); the new workflow's id."""
    created = httpx.post(
        f"{studio.url}/api/workflows",
        json={"name": document["name"], "document": document},
        headers={"Authorization": f"Bearer {studio.password}"},
        timeout=10,
    )
    created.raise_for_status()
    workflow_id: str = created.json()["id"]
    return workflow_id


def test_a_retried_node_streams_only_its_last_attempt(
    page: Any, studio: Studio, expect: Any
) -> None:
    add_provider(page, studio)
    workflow_id = create_workflow(studio, RETRYING)
    # Several words of the first answer stream before the connection drops.
    studio.model.enqueue(Reply(text=LOST, fault=Cut(after=4)), Reply(text=ANSWER))

    page.goto(f"{studio.url}/workflows/{workflow_id}")
    page.locator("#tab-run").click()
    page.get_by_label("question").fill("anything")
    page.get_by_role("button", name="Run", exact=True).click()

    status = page.locator("#run-panel [data-run-status]")
    expect(status).to_have_text("succeeded", timeout=30_000)
    expect(page.locator("#run-panel [data-run-stream]")).to_have_text(ANSWER)
    expect(page.locator("#run-panel [data-run-outputs] pre")).to_contain_text(ANSWER)

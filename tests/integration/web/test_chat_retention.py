"""The chat pane of a conversation whose runs were deleted (run retention)."""

from __future__ import annotations

import re
import time

import pytest

from flowstead.store.protocol import Store
from tests.fakes.models import FakeModelServer
from tests.integration.web.conftest import (
    ADMIN,
    HTMX,
    Client,
    assert_ok,
    create,
    llm_document,
    wait_finished,
)


@pytest.mark.usefixtures("worker")
async def test_the_chat_pane_shows_answers_whose_runs_were_deleted(
    client: Client, store: Store, openai_server: FakeModelServer
) -> None:
    await store.providers.put("fake", kind="openai", base_url=openai_server.base_url)
    workflow_id = await create(store, llm_document(mode="chat"), name="Chatty")
    turn = assert_ok(
        await client.post(
            f"/workflows/{workflow_id}/chat", data={"query": "hi there"}, headers=HTMX
        )
    )
    run_id = re.search(r'data-run-id="([^"]+)"', turn).group(1)  # type: ignore[union-attr]
    conversation_id = re.search(
        r'id="chat-conversation" name="conversation_id" value="([^"]+)"', turn
    ).group(1)  # type: ignore[union-attr]
    await wait_finished(store, run_id)

    assert await store.runs.delete_finished(time.time() + 1) == 1

    for headers in (ADMIN, HTMX):
        pane = assert_ok(
            await client.get(
                f"/workflows/{workflow_id}/chat?conversation={conversation_id}", headers=headers
            )
        )
        assert "You said: hi there" in pane
    assert (await client.get(f"/runs/{run_id}", headers=ADMIN)).status_code == 404

"""The chat pane of a chat-mode workflow."""

from __future__ import annotations

import re

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
    text_of,
    wait_finished,
)


@pytest.mark.usefixtures("worker")
async def test_a_conversation_in_the_chat_pane(
    client: Client, store: Store, openai_server: FakeModelServer
) -> None:
    await store.providers.put("fake", kind="openai", base_url=openai_server.base_url)
    workflow_id = await create(store, llm_document(mode="chat"), name="Chatty")
    empty = text_of(assert_ok(await client.get(f"/workflows/{workflow_id}/chat", headers=ADMIN)))
    assert "Say something to start a conversation" in empty

    turn = assert_ok(
        await client.post(
            f"/workflows/{workflow_id}/chat", data={"query": "hi there"}, headers=HTMX
        )
    )
    assert '<div class="bubble user"><span class="bubble-text">hi there</span></div>' in turn
    run_id = re.search(r'data-run-id="([^"]+)"', turn).group(1)  # type: ignore[union-attr]
    conversation_id = re.search(
        r'id="chat-conversation" name="conversation_id" value="([^"]+)"', turn
    ).group(1)  # type: ignore[union-attr]
    # The new conversation joins the picker, chosen; a later turn leaves the picker be.
    picker = re.search(r'<select id="chat-pick"[^>]*hx-swap-oob="true">.*?</select>', turn, re.S)
    assert picker is not None, turn
    assert f'value="{conversation_id}" selected' in picker.group(0)
    await wait_finished(store, run_id)
    again = assert_ok(
        await client.post(
            f"/workflows/{workflow_id}/chat",
            data={"query": "again", "conversation_id": conversation_id},
            headers=HTMX,
        )
    )
    assert 'id="chat-pick"' not in again
    await wait_finished(store, re.search(r'data-run-id="([^"]+)"', again).group(1))  # type: ignore[union-attr]

    pane = assert_ok(
        await client.get(
            f"/workflows/{workflow_id}/chat?conversation={conversation_id}", headers=HTMX
        )
    )
    assert "You said: hi there" in pane
    assert f'value="{conversation_id}" selected' in pane


async def test_an_empty_message_is_refused(client: Client, store: Store) -> None:
    workflow_id = await create(store, llm_document(mode="chat"))
    turn = assert_ok(
        await client.post(f"/workflows/{workflow_id}/chat", data={"query": " "}, headers=HTMX),
        422,
    )
    assert "Write a message first." in turn
    assert await store.runs.list() == []

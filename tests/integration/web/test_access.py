"""API access per workflow: keys shown once, revoked, and curl examples."""

from __future__ import annotations

import re

from flowstead.store.protocol import Store
from tests.integration.web.conftest import (
    ADMIN,
    HTMX,
    Client,
    assert_ok,
    create,
    llm_document,
    text_of,
)


async def test_keys_are_shown_once_and_revoked(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    page = text_of(assert_ok(await client.get(f"/workflows/{workflow_id}/api", headers=ADMIN)))
    assert "has none yet" in page  # not published
    assert "No active keys" in page
    assert "http://testserver.local/v1" in page

    created = assert_ok(
        await client.post(
            f"/workflows/{workflow_id}/api/keys", data={"name": "my-app"}, headers=HTMX
        )
    )
    key = re.search(r'<code id="new-key">(app-[^<]+)</code>', created).group(1)  # type: ignore[union-attr]
    assert f"Bearer {key}" in created  # the examples use the new key
    assert "shown only this once" in created
    again = assert_ok(await client.get(f"/workflows/{workflow_id}/api", headers=ADMIN))
    assert key not in again
    (listed,) = await store.api_keys.list(workflow_id)
    assert listed.prefix in again

    revoked = text_of(
        assert_ok(
            await client.post(f"/workflows/{workflow_id}/api/keys/{listed.id}/revoke", headers=HTMX)
        )
    )
    assert "No active keys" in revoked
    assert "1 revoked key not shown" in revoked


async def test_curl_examples_fit_the_mode(client: Client, store: Store) -> None:
    workflow_id = await create(store)
    page = assert_ok(await client.get(f"/workflows/{workflow_id}/api", headers=ADMIN))
    assert "/v1/workflows/run" in page
    assert "&#34;response_mode&#34;: &#34;blocking&#34;" in page
    assert "curl -N" in page  # streaming
    chat_id = await create(store, llm_document(mode="chat"))
    chat = assert_ok(await client.get(f"/workflows/{chat_id}/api", headers=ADMIN))
    assert "/v1/chat-messages" in chat
    assert "&#34;query&#34;" in chat

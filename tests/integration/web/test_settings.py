"""Settings: providers (add, test, models, remove), admin tokens, instance facts."""

from __future__ import annotations

import re

from flowstead.store.protocol import Store
from tests.fakes.models import FakeModelServer
from tests.integration.web.conftest import ADMIN, HTMX, Client, assert_ok, text_of


async def test_the_page_shows_the_instance(client: Client, tmp_path: object) -> None:
    page = text_of(assert_ok(await client.get("/settings", headers=ADMIN)))
    assert "Version 0.1.0" in page or "Version" in page
    assert str(tmp_path) in page
    assert "sqlite:///" in page
    assert "no worker has started" in page
    assert "from FLOWSTEAD_PASSWORD" in page
    assert "No providers yet" in page
    assert "No admin tokens" in page


async def test_add_test_list_and_remove_a_provider(
    client: Client, store: Store, openai_server: FakeModelServer
) -> None:
    form = {"id": "local", "kind": "openai", "base_url": openai_server.base_url, "api_key": "sk-1"}
    listed = assert_ok(await client.post("/settings/providers", data=form, headers=HTMX))
    assert "<code>local</code>" in listed
    saved = await store.providers.get("local")
    assert saved is not None
    assert saved.secrets == {"api_key": "sk-1"}
    assert "sk-1" not in listed

    check = text_of(assert_ok(await client.post("/settings/providers/local/test", headers=HTMX)))
    assert check.startswith("Connected")
    models = text_of(assert_ok(await client.get("/settings/providers/local/models", headers=HTMX)))
    assert "fake-chat" in models

    # Saving again without a key keeps the stored one.
    await client.post("/settings/providers", data={**form, "api_key": ""}, headers=HTMX)
    saved = await store.providers.get("local")
    assert saved is not None
    assert saved.secrets == {"api_key": "sk-1"}

    assert_ok(await client.post("/settings/providers/local/delete", headers=HTMX))
    assert await store.providers.get("local") is None


async def test_an_unreachable_provider_says_so(client: Client, store: Store) -> None:
    await store.providers.put(
        "gone",
        kind="openai",
        base_url="http://127.0.0.1:9/v1",
        options={"max_retries": 0, "connect_timeout": 1},
    )
    check = text_of(assert_ok(await client.post("/settings/providers/gone/test", headers=HTMX)))
    assert check.startswith("Could not connect")
    models = text_of(assert_ok(await client.get("/settings/providers/gone/models", headers=HTMX)))
    assert models.startswith("Could not list the models")


async def test_a_bad_provider_form_is_shown_again(client: Client, store: Store) -> None:
    response = await client.post(
        "/settings/providers", data={"id": "no spaces!", "kind": "openai"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "The id is a short name" in text_of(response.text)
    assert 'value="no spaces!"' in response.text
    assert await store.providers.list() == []


async def test_an_empty_base_url_is_the_kinds_usual_one(client: Client, store: Store) -> None:
    await client.post("/settings/providers", data={"id": "ol", "kind": "ollama"}, headers=HTMX)
    saved = await store.providers.get("ol")
    assert saved is not None
    assert saved.base_url == "http://localhost:11434"


async def test_admin_tokens_are_shown_once_and_work(client: Client, store: Store) -> None:
    created = assert_ok(await client.post("/settings/tokens", data={"name": "ci"}, headers=HTMX))
    token = re.search(r'<code id="new-token">(fst-[^<]+)</code>', created).group(1)  # type: ignore[union-attr]
    works = await client.get("/api/workflows", headers={"Authorization": f"Bearer {token}"})
    assert works.status_code == 200
    page = assert_ok(await client.get("/settings", headers=ADMIN))
    assert token not in page
    (listed,) = await store.admin_tokens.list()
    assert_ok(await client.post(f"/settings/tokens/{listed.id}/revoke", headers=HTMX))
    refused = await client.get("/api/workflows", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401


async def test_without_htmx_a_form_answers_with_the_whole_page(client: Client) -> None:
    page = assert_ok(await client.post("/settings/tokens", data={"name": "x"}, headers=ADMIN))
    assert "<html" in page
    assert "shown only this once" in page

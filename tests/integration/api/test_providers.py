from __future__ import annotations

from flowstead.store.protocol import Store
from tests.fakes.models import FakeModelServer
from tests.integration.api.conftest import ADMIN, Client, assert_error


async def test_add_list_test_and_models(
    client: Client, store: Store, openai_server: FakeModelServer
) -> None:
    body = {"kind": "openai", "base_url": openai_server.base_url, "api_key": "sk-secret"}
    saved = await client.put("/api/providers/local", json=body, headers=ADMIN)
    assert saved.status_code == 200
    assert saved.json()["secret_names"] == ["api_key"]
    assert "sk-secret" not in saved.text
    listed = await client.get("/api/providers", headers=ADMIN)
    assert [p["id"] for p in listed.json()] == ["local"]
    assert "sk-secret" not in listed.text
    single = await client.get("/api/providers/local", headers=ADMIN)
    assert "sk-secret" not in single.text
    check = await client.post("/api/providers/local/test", headers=ADMIN)
    assert check.json() == {"ok": True, "message": "2 models available"}
    models = await client.get("/api/providers/local/models", headers=ADMIN)
    assert models.json() == {"models": ["fake-chat", "fake-embed"]}
    assert openai_server.requests[-1].headers["authorization"] == "Bearer sk-secret"


async def test_an_update_without_a_key_keeps_the_key(
    client: Client, store: Store, openai_server: FakeModelServer
) -> None:
    body = {"kind": "openai", "base_url": openai_server.base_url, "api_key": "sk-1"}
    await client.put("/api/providers/local", json=body, headers=ADMIN)
    body.pop("api_key")
    body["options"] = {"read_timeout": 5.0}
    await client.put("/api/providers/local", json=body, headers=ADMIN)
    stored = await store.providers.get("local")
    assert stored is not None
    assert stored.secrets == {"api_key": "sk-1"}
    assert stored.options == {"read_timeout": 5.0}


async def test_unreachable_provider_and_unknown_ids(client: Client) -> None:
    body = {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": "k"}
    await client.put("/api/providers/down", json=body, headers=ADMIN)
    check = (await client.post("/api/providers/down/test", headers=ADMIN)).json()
    assert check["ok"] is False
    assert check["message"]
    assert_error(await client.get("/api/providers/down/models", headers=ADMIN), 502)
    assert_error(await client.post("/api/providers/nope/test", headers=ADMIN), 404)
    assert_error(await client.get("/api/providers/nope", headers=ADMIN), 404)
    bad_kind = await client.put("/api/providers/x", json={"kind": "magic"}, headers=ADMIN)
    assert_error(bad_kind, 400, "invalid_param")
    assert (await client.delete("/api/providers/down", headers=ADMIN)).status_code == 204
    assert_error(await client.delete("/api/providers/down", headers=ADMIN), 404)

from __future__ import annotations

import io
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from flowstead.api.app import create_app
from flowstead.services.auth import (
    PASSWORD_HASH_KEY,
    check_password_hash,
    hash_password,
    instance_password,
)
from flowstead.settings import Settings, SettingsError
from flowstead.store import open_store
from tests.integration.api.conftest import (
    ADMIN,
    PASSWORD,
    Client,
    app_key,
    assert_error,
    create_workflow,
)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {PASSWORD}"},
        {"Authorization": "Bearer wrong password"},
        {"Authorization": "Bearer fst-not-a-real-token"},
        {"Authorization": "Bearer app-not-an-admin-credential"},
    ],
)
async def test_admin_api_refuses_without_the_password_or_a_token(
    client: Client, headers: dict[str, str]
) -> None:
    assert_error(await client.get("/api/workflows", headers=headers), 401, "unauthorized")


async def test_the_instance_password_opens_the_admin_api(client: Client) -> None:
    assert (await client.get("/api/workflows", headers=ADMIN)).status_code == 200
    lower_scheme = {"Authorization": f"bearer {PASSWORD}"}
    assert (await client.get("/api/workflows", headers=lower_scheme)).status_code == 200


async def test_admin_tokens_open_the_admin_api_until_revoked(client: Client) -> None:
    created = (await client.post("/api/tokens", json={"name": "ci"}, headers=ADMIN)).json()
    assert created["token"].startswith("fst-")
    token = {"Authorization": f"Bearer {created['token']}"}
    listed = (await client.get("/api/tokens", headers=token)).json()
    assert [t["name"] for t in listed] == ["ci"]
    assert "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None
    assert (await client.delete(f"/api/tokens/{created['id']}", headers=ADMIN)).status_code == 204
    assert_error(await client.get("/api/tokens", headers=token), 401)
    assert_error(await client.delete(f"/api/tokens/{created['id']}x", headers=ADMIN), 404)


async def test_app_keys_open_only_the_app_api(client: Client) -> None:
    workflow = await create_workflow(client)
    key = await app_key(client, workflow["id"])
    assert_error(await client.get("/api/workflows", headers=key), 401)
    assert_error(await client.get("/v1/info", headers=ADMIN), 401)
    # Authenticated, but the workflow is not published yet.
    assert_error(await client.get("/v1/info", headers=key), 400, "not_published")


async def test_revoked_and_unknown_app_keys_are_refused(client: Client) -> None:
    workflow = await create_workflow(client)
    created = (
        await client.post(f"/api/workflows/{workflow['id']}/keys", json={}, headers=ADMIN)
    ).json()
    key = {"Authorization": f"Bearer {created['key']}"}
    keys = (await client.get(f"/api/workflows/{workflow['id']}/keys", headers=ADMIN)).json()
    assert [k["id"] for k in keys] == [created["id"]]
    assert "key" not in keys[0]
    path = f"/api/workflows/{workflow['id']}/keys/{created['id']}"
    assert (await client.delete(path, headers=ADMIN)).status_code == 204
    assert_error(await client.get("/v1/parameters", headers=key), 401, "unauthorized")
    wrong = {"Authorization": "Bearer app-wrong"}
    assert_error(await client.get("/v1/parameters", headers=wrong), 401, "unauthorized")


async def test_a_key_is_revoked_only_through_its_own_workflow(client: Client) -> None:
    first, second = await create_workflow(client), await create_workflow(client, name="B")
    created = (
        await client.post(f"/api/workflows/{first['id']}/keys", json={}, headers=ADMIN)
    ).json()
    path = f"/api/workflows/{second['id']}/keys/{created['id']}"
    assert_error(await client.delete(path, headers=ADMIN), 404)


async def test_open_routes_need_no_credentials(client: Client) -> None:
    for path in ("/health", "/schema/openapi.json"):
        assert (await client.get(path)).status_code == 200


async def test_a_generated_password_is_printed_once_and_stored_hashed(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path)
    store = await open_store(settings.database_url, tmp_path)
    try:
        out = io.StringIO()
        password = await instance_password(settings, store, out)
        printed = out.getvalue().strip().rsplit(" ", 1)[-1]
        stored = await store.meta.get(PASSWORD_HASH_KEY)
        assert stored is not None
        assert printed not in stored
        assert stored.startswith("scrypt$")
        assert await password.verify(printed)
        assert not await password.verify(printed + "x")
        again = io.StringIO()
        second = await instance_password(settings, store, again)
        assert again.getvalue() == ""
        assert await second.verify(printed)
    finally:
        await store.close()


async def test_a_generated_password_opens_the_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with AsyncTestClient(create_app(Settings.from_env({}, data_dir=tmp_path))) as client:
        printed = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
        assert_error(await client.get("/api/workflows"), 401)
        ok = await client.get("/api/workflows", headers={"Authorization": f"Bearer {printed}"})
        assert ok.status_code == 200


async def test_the_password_file_is_read_at_each_check(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("first\n")
    settings = Settings.from_env({}, data_dir=tmp_path, password_file=secret)
    async with AsyncTestClient(create_app(settings)) as client:
        assert (await client.get("/api/workflows", headers=_bearer("first"))).status_code == 200
        secret.write_text("second")
        assert_error(await client.get("/api/workflows", headers=_bearer("first")), 401)
        assert (await client.get("/api/workflows", headers=_bearer("second"))).status_code == 200


async def test_an_empty_password_file_stops_the_start(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("  \n")
    settings = Settings.from_env({}, data_dir=tmp_path, password_file=secret)
    store = await open_store(settings.database_url, tmp_path)
    try:
        with pytest.raises(SettingsError, match="FLOWSTEAD_PASSWORD_FILE"):
            await instance_password(settings, store)
    finally:
        await store.close()


def test_password_hashes_are_salted_and_checked() -> None:
    first, second = hash_password("pw"), hash_password("pw")
    assert first != second
    assert check_password_hash("pw", first)
    assert check_password_hash("pw", second)
    assert not check_password_hash("pW", first)
    assert not check_password_hash("pw", "garbage")


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}

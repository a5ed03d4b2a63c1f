from __future__ import annotations

from flowstead import __version__
from flowstead.store.protocol import Store
from tests.integration.api.conftest import Client, assert_error


async def test_health_answers_without_auth(client: Client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_ready_names_the_missing_worker(client: Client) -> None:
    message = assert_error(await client.get("/ready"), 503, "not_ready")
    assert "worker" in message
    assert (await client.get("/ready")).json()["problems"] == ["worker: no worker has started"]


async def test_ready_with_a_fresh_worker_heartbeat(client: Client, store: Store) -> None:
    await store.workers.beat("w1")
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_ready_refuses_a_stale_heartbeat(client: Client, store: Store) -> None:
    await store.workers.beat("w1")
    client.app.state.worker_fresh_seconds = -1.0  # every beat is older than this window
    message = assert_error(await client.get("/ready"), 503, "not_ready")
    assert "heartbeat" in message


async def test_ready_reports_a_database_that_does_not_answer(client: Client, store: Store) -> None:
    await store.close()
    message = assert_error(await client.get("/ready"), 503, "not_ready")
    assert message.startswith("database")


async def test_every_response_has_a_request_id(client: Client) -> None:
    first = await client.get("/health")
    second = await client.get("/no/such/page")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert_error(second, 404, "not_found")


async def test_a_plain_request_id_from_the_caller_is_kept(client: Client) -> None:
    kept = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    odd = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert odd.headers["x-request-id"] != "bad id\twith spaces"


async def test_openapi_schema_and_docs_page(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/v1/workflows/run" in schema["paths"]
    assert "/api/workflows" in schema["paths"]
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]

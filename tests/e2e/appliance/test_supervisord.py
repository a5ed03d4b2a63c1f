"""The appliance as the image runs it: the real supervisord with supervisord.conf and
every program (api, worker, web, the backup scheduler) on loopback ports."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.appliance.flows import (
    ANSWER,
    Event,
    bearer,
    log_in,
    published_llm_workflow,
    read_events,
    run_status,
    start_run,
    wait_finished,
)
from tests.e2e.appliance.harness import Appliance, alive, descendants, program_env, running
from tests.integration.api.processes import LockstepModelServer

pytestmark = pytest.mark.e2e

PASSWORD = "e2e password 7f3a"
ADMIN = bearer(PASSWORD)


@pytest.fixture(scope="module")
def appliance(module_data_dir: Path) -> Iterator[Appliance]:
    with running(
        module_data_dir, program_env(module_data_dir, {"FLOWSTEAD_PASSWORD": PASSWORD})
    ) as app:
        yield app


def test_ready_with_every_program_running(appliance: Appliance) -> None:
    assert httpx.get(f"{appliance.web_url}/ready").status_code == 200
    assert httpx.get(f"{appliance.api_url}/ready").status_code == 200
    status = appliance.wait_running("api", "worker", "web")
    # granian serves inside each server's own process: nothing under it to outlive it.
    assert not descendants(appliance.pid("api"))
    assert not descendants(appliance.pid("web"))
    assert status["db"] == "STOPPED"  # no database server without FLOWSTEAD_EMBEDDED_DB
    socket_file = appliance.data_dir / "supervisor.sock"
    assert socket_file.stat().st_mode & 0o077 == 0


def test_without_credentials_the_login_page_or_401(appliance: Appliance) -> None:
    for url in (appliance.api_url, appliance.web_url):
        refused = httpx.get(f"{url}/api/workflows")
        assert refused.status_code == 401
        assert refused.json()["code"] == "unauthorized"
        page = httpx.get(f"{url}/login")
        assert page.status_code == 200
        assert 'name="password"' in page.text
    assert httpx.get(f"{appliance.web_url}/health").status_code == 200


def test_the_right_password_lets_the_browser_in(appliance: Appliance) -> None:
    with httpx.Client(base_url=appliance.web_url) as browser:
        assert log_in(browser, PASSWORD).status_code == 303
        assert browser.get("/api/workflows").status_code == 200
        # One session for the whole instance: the api port accepts it too.
        cookies = dict(browser.cookies)
    assert httpx.get(f"{appliance.api_url}/api/workflows", cookies=cookies).status_code == 200


def test_kill_9_the_worker_and_the_run_in_flight_finishes(
    appliance: Appliance, model: LockstepModelServer
) -> None:
    workflow_id = published_llm_workflow(appliance.api_url, ADMIN, model)
    model.reset(gated=True)  # the model stalls after its first piece: the run stays in flight
    run_id = start_run(appliance.api_url, ADMIN, workflow_id)
    seen: list[Event] = []
    read_events(appliance.api_url, ADMIN, run_id, seen, model=model, on_chunk=lambda n: n < 1)
    assert run_status(appliance.api_url, ADMIN, run_id)["status"] == "running"
    old = appliance.pid("worker")
    os.kill(old, signal.SIGKILL)
    model.reset(gated=False)  # before the new worker asks the model again
    new = appliance.wait_restarted("worker", old)
    assert not alive(old)
    assert new != old
    run = wait_finished(appliance, ADMIN, run_id)
    assert run["status"] == "succeeded"
    assert run["outputs"] == {"answer": ANSWER}


def test_kill_9_the_api_and_a_reconnecting_stream_misses_nothing(
    appliance: Appliance, model: LockstepModelServer
) -> None:
    workflow_id = published_llm_workflow(appliance.api_url, ADMIN, model)
    model.reset(gated=True)
    run_id = start_run(appliance.api_url, ADMIN, workflow_id)
    old = appliance.pid("api")
    server_processes = {old} | descendants(old)

    def kill_the_api(chunks: int) -> bool:
        if chunks == 2:
            os.kill(old, signal.SIGKILL)
        return True  # read on: the connection breaks

    seen: list[Event] = []
    read_events(appliance.api_url, ADMIN, run_id, seen, model=model, on_chunk=kill_the_api)
    assert seen
    assert seen[-1][1] != "run_finished"
    appliance.wait_restarted("api", old)
    appliance.wait_ready(appliance.api_url)
    # No orphaned granian worker of the killed api is left holding the port.
    assert not any(alive(pid) for pid in server_processes)
    read_events(appliance.api_url, ADMIN, run_id, seen, model=model, last_id=seen[-1][0])
    ids = [seq for seq, _name, _data in seen]
    assert ids == list(range(1, len(ids) + 1))
    assert seen[-1][1] == "run_finished"
    assert "".join(d["text"] for _s, name, d in seen if name == "text_chunk") == ANSWER


def test_secrets_never_reach_the_logs(appliance: Appliance, model: LockstepModelServer) -> None:
    workflow_id = published_llm_workflow(appliance.api_url, ADMIN, model)
    key = httpx.post(
        f"{appliance.api_url}/api/workflows/{workflow_id}/keys", json={}, headers=ADMIN
    ).json()["key"]
    assert httpx.get(f"{appliance.web_url}/v1/info", headers=bearer(key)).status_code == 200
    with httpx.Client(base_url=appliance.web_url) as browser:
        assert log_in(browser, PASSWORD).status_code == 303
    assert appliance.json_lines()
    output = appliance.output()
    assert PASSWORD not in output
    assert key not in output
    assert "sk-test" not in output


def test_ten_wrong_passwords_then_429(appliance: Appliance) -> None:
    """Last: from here on this address is refused on the api port, Bearer password too."""
    with httpx.Client(base_url=appliance.api_url) as browser:
        for _ in range(10):
            assert log_in(browser, "not the password").status_code == 401
        limited = log_in(browser, PASSWORD)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
    assert httpx.get(f"{appliance.api_url}/api/workflows", headers=ADMIN).status_code == 429
    # Each server counts for itself; the web port still lets the right password in.
    assert httpx.get(f"{appliance.web_url}/api/workflows", headers=ADMIN).status_code == 200

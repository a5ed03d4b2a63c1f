"""`flowstead up` as a person runs it: the generated password printed once, the URL, and
SIGTERM stopping everything, with the run in flight finishing after the next start."""

from __future__ import annotations

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
    start_run,
    wait_finished,
)
from tests.e2e.appliance.harness import Appliance, alive, port_free, program_env
from tests.integration.api.processes import LockstepModelServer

pytestmark = pytest.mark.e2e


def test_up_then_sigterm_then_up_again(data_dir: Path, model: LockstepModelServer) -> None:
    env = program_env(data_dir)  # no FLOWSTEAD_PASSWORD: one is generated
    first = Appliance(data_dir, env, via_up=True)
    try:
        first.wait_ready()
        first.wait_ready(first.api_url)
        password = first.printed_password()
        assert password
        assert sum("shown only this once" in line for line in first.lines) == 1
        first.wait_for_line(f"Flowstead is ready: {first.web_url}")
        with httpx.Client(base_url=first.web_url) as browser:
            assert log_in(browser, password).status_code == 303
        admin = bearer(password)
        workflow_id = published_llm_workflow(first.api_url, admin, model)
        model.reset(gated=True)  # the run stays in flight past the worker's grace
        run_id = start_run(first.api_url, admin, workflow_id)
        seen: list[Event] = []
        read_events(first.api_url, admin, run_id, seen, model=model, on_chunk=lambda n: n < 1)

        processes, status = first.terminate()
        assert status == 0
        assert len(processes) >= 4  # supervisord, api, worker, web (backup may have exited)
        assert not [pid for pid in processes if alive(pid)]
        assert all(port_free(port) for port in first.ports)
    finally:
        first.stop()

    model.reset(gated=False)
    again = Appliance(data_dir, env, via_up=True)
    try:
        again.wait_ready()
        assert again.printed_password() is None
        run = wait_finished(again, admin, run_id)
        assert run["status"] == "succeeded"
        assert run["outputs"] == {"answer": ANSWER}
    finally:
        again.stop()

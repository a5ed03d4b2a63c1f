"""What the appliance tests do over HTTP: set up a model and a workflow, start runs, read
their events as a client would, log in through the login form."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.appliance.harness import Appliance
from tests.integration.api.conftest import llm_document
from tests.integration.api.processes import LockstepModelServer

ANSWER = "Hello from the fake model. You said: tell me"
FINISHED = ("succeeded", "failed", "stopped", "partial_succeeded")
WAIT_SECONDS = 60.0

Event = tuple[int, str, dict[str, Any]]


def bearer(password: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {password}"}


def published_llm_workflow(url: str, admin: dict[str, str], model: LockstepModelServer) -> str:
    """The fake model as provider `fake`, and a published Start → LLM → End workflow."""
    provider = {"kind": "openai", "base_url": model.base_url, "api_key": "sk-test"}
    assert httpx.put(f"{url}/api/providers/fake", json=provider, headers=admin).is_success
    created = httpx.post(
        f"{url}/api/workflows", json={"name": "llm", "document": llm_document()}, headers=admin
    )
    workflow_id: str = created.json()["id"]
    assert httpx.post(f"{url}/api/workflows/{workflow_id}/versions", headers=admin).is_success
    return workflow_id


def start_run(url: str, admin: dict[str, str], workflow_id: str) -> str:
    body: dict[str, Any] = {"inputs": {"question": "tell me"}, "version": "published"}
    reply = httpx.post(f"{url}/api/workflows/{workflow_id}/runs", json=body, headers=admin)
    assert reply.status_code in (200, 201, 202), reply.text
    run_id: str = reply.json()["id"]
    return run_id


def login_token(client: httpx.Client) -> str:
    page = client.get("/login")
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert found, page.text
    return found.group(1)


def log_in(client: httpx.Client, password: str) -> httpx.Response:
    form = {"password": password, "_csrf": login_token(client), "next": "/"}
    return client.post("/login", data=form)


def run_status(url: str, admin: dict[str, str], run_id: str) -> dict[str, Any]:
    detail: dict[str, Any] = httpx.get(f"{url}/api/runs/{run_id}", headers=admin).json()["run"]
    return detail


def wait_finished(appliance: Appliance, admin: dict[str, str], run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError, KeyError, ValueError):
            run = run_status(appliance.api_url, admin, run_id)
            if run["status"] in FINISHED:
                return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish: {run}\n{appliance.output()[-6000:]}")


def read_events(
    url: str,
    admin: dict[str, str],
    run_id: str,
    seen: list[Event],
    *,
    model: LockstepModelServer,
    last_id: int | None = None,
    on_chunk: Callable[[int], bool] = lambda _n: True,
) -> None:
    """SSE events into `seen`, releasing the model after each text chunk, until the run
    finishes, `on_chunk` says stop, or the connection breaks."""
    headers = admin | ({"Last-Event-ID": str(last_id)} if last_id is not None else {})
    chunks = 0
    with (
        contextlib.suppress(httpx.TransportError),
        httpx.stream(
            "GET", f"{url}/api/runs/{run_id}/events", headers=headers, timeout=30
        ) as reply,
    ):
        fields: dict[str, str] = {}
        for line in reply.iter_lines():
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if "id" in fields:
                seen.append(
                    (int(fields["id"]), fields["event"], json.loads(fields["data"])["data"])
                )
                if fields["event"] == "run_finished":
                    return
                if fields["event"] == "text_chunk":
                    chunks += 1
                    model.release()
                    if not on_chunk(chunks):
                        return
            fields = {}

"""Behind a reverse proxy: with FLOWSTEAD_TRUSTED_PROXIES the failed-login limit counts the
client the proxy forwards for, and without it a forged X-Forwarded-For changes nothing.

Real `flowstead api` processes (granian) on loopback; the test plays the proxy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flowstead.api.login import MAX_FAILURES
from tests.integration.api.processes import Child, flowstead_command, free_port

PASSWORD = "proxied password"
STARTUP_SECONDS = 30.0


def serve_api(data_dir: Path, trusted: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "FLOWSTEAD_DATA_DIR": str(data_dir),
        "FLOWSTEAD_PASSWORD": PASSWORD,
        "FLOWSTEAD_HOST": "127.0.0.1",
        "FLOWSTEAD_API_PORT": str(port),
        "FLOWSTEAD_TRUSTED_PROXIES": trusted,
    }
    api = Child([*flowstead_command(), "api"], env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if api.process.poll() is not None:
                raise RuntimeError("\n".join(api.lines[-30:]))
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)
        yield url
    finally:
        api.stop()


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[str]:
    yield from serve_api(tmp_path, "127.0.0.1")


@pytest.fixture
def not_behind_proxy(tmp_path: Path) -> Iterator[str]:
    yield from serve_api(tmp_path, "")


def workflows(url: str, password: str, forwarded_for: str) -> httpx.Response:
    return httpx.get(
        f"{url}/api/workflows",
        headers={"Authorization": f"Bearer {password}", "X-Forwarded-For": forwarded_for},
        timeout=10,
    )


def test_a_trusted_proxy_has_each_client_counted_on_its_own(behind_proxy: str) -> None:
    for _ in range(MAX_FAILURES):
        assert workflows(behind_proxy, "guess", "203.0.113.7").status_code == 401

    assert workflows(behind_proxy, PASSWORD, "203.0.113.7").status_code == 429
    # Another client behind the same proxy is not locked out by the first one's guesses.
    assert workflows(behind_proxy, PASSWORD, "198.51.100.9").status_code == 200
    # The proxy appends the address it saw: a client cannot pose as another by sending
    # its own X-Forwarded-For first.
    assert workflows(behind_proxy, PASSWORD, "198.51.100.9, 203.0.113.7").status_code == 429


def test_without_trusted_proxies_a_forged_header_changes_nothing(not_behind_proxy: str) -> None:
    for attempt in range(MAX_FAILURES):
        assert workflows(not_behind_proxy, "guess", f"203.0.113.{attempt}").status_code == 401

    assert workflows(not_behind_proxy, PASSWORD, "198.51.100.9").status_code == 429

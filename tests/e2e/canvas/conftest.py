"""The studio in real Chromium against the real server: `flowstead web` and `flowstead
worker` as child processes on a temporary data dir and free loopback ports, a fake OpenAI
server that streams slowly enough to watch, and Playwright driving Debian's chromium.

Skipped, with the reason, only when /usr/bin/chromium (or the playwright package) is
missing; CI installs both. Screenshots go to `artifacts/screenshots/`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.models import FakeModelServer
from tests.integration.api.processes import Child, flowstead_command, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "e2e correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
READY_SECONDS = 40.0
# The fake model streams a word every 1/RATE s: slow enough to see partial text.
RATE = 8.0

CHROMIUM_MISSING = (
    f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) "
    "to run the browser tests"
)


@dataclass
class Studio:
    url: str
    password: str
    model: FakeModelServer
    web: Child
    worker: Child

    def log_tail(self) -> str:
        return "\n".join([*self.web.lines[-40:], *self.worker.lines[-20:]])


def _wait_ready(url: str, children: list[Child]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        for child in children:
            if child.process.poll() is not None:
                raise RuntimeError(f"{child.process.args} exited:\n" + "\n".join(child.lines[-40:]))
        try:
            response = httpx.get(f"{url}/ready", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise RuntimeError(f"the studio did not get ready: {last}")


@pytest.fixture(scope="session")
def model_server() -> Iterator[FakeModelServer]:
    with FakeModelServer("openai", latency=0.3, rate=RATE) as server:
        yield server


@pytest.fixture(scope="session")
def studio(
    tmp_path_factory: pytest.TempPathFactory, model_server: FakeModelServer
) -> Iterator[Studio]:
    data_dir = tmp_path_factory.mktemp("studio-data")
    port = free_port()
    env = {
        **os.environ,
        "FLOWSTEAD_DATA_DIR": str(data_dir),
        "FLOWSTEAD_PASSWORD": PASSWORD,
        "FLOWSTEAD_HOST": "127.0.0.1",
        "FLOWSTEAD_WEB_PORT": str(port),
        "FLOWSTEAD_API_PORT": str(free_port()),
        "LOG_LEVEL": "INFO",
    }
    web = Child([*flowstead_command(), "web"], env)
    worker = Child([*flowstead_command(), "worker"], env)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, [web, worker])
        yield Studio(url, PASSWORD, model_server, web, worker)
    finally:
        worker.stop()
        web.stop()


def playwright_api() -> Any:
    """`playwright.sync_api`, or a skip saying what is missing."""
    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    return pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )


# Package scope, not session: while Playwright's sync API is open its event loop counts as
# running in this thread, which breaks every asyncio test that runs after it.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    with playwright_api().sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def expect() -> Any:
    return playwright_api().expect


@pytest.fixture
def page(browser: Any, studio: Studio) -> Iterator[Any]:
    """A logged-in page at 1280×800 in the light theme."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    log_in(opened, studio)
    try:
        yield opened
    finally:
        context.close()


def log_in(page: Any, studio: Studio) -> None:
    """Through the real login page."""
    expect = playwright_api().expect
    page.goto(f"{studio.url}/workflows")
    expect(page).to_have_url(f"{studio.url}/login?next=/workflows")
    page.get_by_label("Instance password").fill(studio.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Workflows", exact=True)).to_be_visible()


def screenshot(page: Any, name: str) -> None:
    """The page in the light and the dark theme, under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{scheme}.png"))
    page.emulate_media(color_scheme="light")

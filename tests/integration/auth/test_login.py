"""The password in the browser: login page, session cookie, CSRF, failed-login limit."""

from __future__ import annotations

import re
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, get
from litestar.testing import AsyncTestClient

from flowstead.api.app import create_app
from flowstead.api.login import MAX_FAILURES, LoginLimiter, safe_next
from flowstead.api.session import KEY_FILE, SESSION_COOKIE, csrf_token, require_login
from flowstead.settings import Settings

PASSWORD = "correct horse battery staple"

Client = AsyncTestClient[Litestar]


@get("/private", guards=[require_login], media_type="text/html")
async def private_page() -> str:
    return "<p>the canvas</p>"


@get("/private/token", guards=[require_login], media_type="text/plain")
async def page_with_token(request: Request[Any, Any, Any]) -> str:
    """What a canvas page puts in its `<meta name="csrf-token">`."""
    return csrf_token(request)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path, password=PASSWORD)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(settings)
    app.register(private_page)
    app.register(page_with_token)
    async with AsyncTestClient(app) as test_client:
        yield test_client


def page_token(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, html
    return found.group(1)


async def log_in(client: Client, password: str = PASSWORD, next: str = "/") -> httpx.Response:
    token = page_token((await client.get("/login")).text)
    form = {"password": password, "_csrf": token, "next": next}
    return await client.post("/login", data=form, follow_redirects=False)


async def test_without_credentials_pages_redirect_and_the_api_answers_401(client: Client) -> None:
    page = await client.get("/private?tab=runs", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/private%3Ftab%3Druns"
    htmx = await client.get("/private", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401
    assert htmx.headers["hx-redirect"] == "/login?next=/private"
    api = await client.get("/api/workflows")
    assert api.status_code == 401
    assert api.json()["code"] == "unauthorized"
    login = await client.get("/login")
    assert login.status_code == 200
    assert 'type="password"' in login.text
    assert (await client.get("/health")).status_code == 200


async def test_the_right_password_opens_pages_and_the_api(client: Client) -> None:
    response = await log_in(client, next="/private")
    assert response.status_code == 303
    assert response.headers["location"] == "/private"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert PASSWORD not in cookie
    assert (await client.get("/private")).text == "<p>the canvas</p>"
    assert (await client.get("/api/workflows")).status_code == 200
    # Logged in already: the login page sends the browser on.
    again = await client.get("/login?next=/private", follow_redirects=False)
    assert again.headers["location"] == "/private"


async def test_a_wrong_password_is_refused(client: Client) -> None:
    response = await log_in(client, password="guess")
    assert response.status_code == 401
    assert "Wrong password." in response.text
    assert (await client.get("/api/workflows")).status_code == 401


async def test_state_changes_by_session_need_the_csrf_token(client: Client) -> None:
    await log_in(client)
    body = {"name": "From the canvas"}
    refused = await client.post("/api/workflows", json=body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    wrong = await client.post("/api/workflows", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    token = (await client.get("/private/token")).text
    created = await client.post("/api/workflows", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    # Reads need no token; Bearer requests are exempt.
    assert (await client.get("/api/workflows")).status_code == 200
    bearer = {"Authorization": f"Bearer {PASSWORD}"}
    client.cookies.clear()
    assert (await client.post("/api/workflows", json=body, headers=bearer)).status_code == 201


async def test_the_login_form_needs_its_token(client: Client) -> None:
    await client.get("/login")
    form = {"password": PASSWORD, "next": "/"}
    refused = await client.post("/login", data=form, follow_redirects=False)
    assert refused.status_code == 403
    assert (await client.get("/api/workflows")).status_code == 401


async def test_ten_wrong_passwords_then_429_with_retry_after(client: Client) -> None:
    for _ in range(MAX_FAILURES):
        assert (await log_in(client, password="guess")).status_code == 401
    limited = await log_in(client)  # even the right one, for now
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert (await client.get("/api/workflows")).status_code == 401


async def test_logout_ends_the_session(client: Client) -> None:
    await log_in(client)
    token = (await client.get("/private/token")).text
    refused = await client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    out = await client.post("/logout", data={"_csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert (await client.get("/api/workflows")).status_code == 401


async def test_a_forged_cookie_is_not_a_session(client: Client) -> None:
    client.cookies.set(SESSION_COOKIE, "eyJhZG1pbiI6IHRydWV9")
    assert (await client.get("/api/workflows")).status_code == 401


def test_the_session_key_is_private_and_kept(settings: Settings, tmp_path: Path) -> None:
    create_app(settings)
    key = tmp_path / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = key.read_bytes()
    create_app(settings)
    assert key.read_bytes() == first
    assert len(first) == 32


async def test_the_password_file_works_in_the_browser(tmp_path: Path) -> None:
    secret = tmp_path / "password.txt"
    secret.write_text("from a secrets file\n")
    settings = Settings.from_env({}, data_dir=tmp_path / "data", password_file=secret)
    async with AsyncTestClient(create_app(settings)) as client:
        assert (await log_in(client, password="from a secrets file")).status_code == 303
        assert (await client.get("/api/workflows")).status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/workflows/1?x=2", "/workflows/1?x=2"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_only_same_site_paths_follow_a_login(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_the_limiter_forgets_failures_after_the_window() -> None:
    now = [1000.0]
    limiter = LoginLimiter(max_failures=3, window_seconds=60, clock=lambda: now[0])
    for _ in range(3):
        limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 61
    assert limiter.retry_after("10.0.0.2") == 0
    now[0] += 30
    assert 0 < limiter.retry_after("10.0.0.1") <= 31
    now[0] += 31
    assert limiter.retry_after("10.0.0.1") == 0
    limiter.failed("10.0.0.1")
    limiter.succeeded("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 0


async def test_wrong_bearer_passwords_count_against_the_same_limit(client: Client) -> None:
    wrong = {"Authorization": "Bearer not the password"}
    for _ in range(MAX_FAILURES):
        assert (await client.get("/api/workflows", headers=wrong)).status_code == 401
    right = {"Authorization": f"Bearer {PASSWORD}"}
    limited = await client.get("/api/workflows", headers=right)
    assert limited.status_code == 429
    assert limited.json()["code"] == "too_many_requests"
    assert int(limited.headers["retry-after"]) > 0
    assert (await log_in(client)).status_code == 429

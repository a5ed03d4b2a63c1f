"""Every page needs a login: browsers are sent to the login page, htmx gets HX-Redirect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowstead.web.templating import asset_version
from tests.integration.web.conftest import ADMIN, Client

PAGES = ["/", "/workflows", "/workflows/new", "/runs", "/settings", "/logs"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_strangers_to_the_login_page(client: Client, path: str) -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login")
    if path not in ("/",):
        assert f"next={path}" in location


async def test_htmx_requests_are_redirected_as_a_whole_page(client: Client) -> None:
    response = await client.get("/workflows", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


async def test_a_wrong_password_is_no_login(client: Client) -> None:
    response = await client.get(
        "/workflows", headers={"Authorization": "Bearer wrong"}, follow_redirects=False
    )
    assert response.status_code == 303


async def test_static_files_are_open(client: Client) -> None:
    for path in ("/static/app.css", "/static/canvas.js", "/static/vendor/htmx-2.0.11.min.js"):
        response = await client.get(path)
        assert response.status_code == 200, path


async def test_pages_link_static_files_by_a_digest_of_their_contents(
    client: Client, tmp_path: Path
) -> None:
    page = (await client.get("/workflows", headers=ADMIN)).text
    linked = set(re.findall(r'/static/[\w./-]+\?v=(\w+)"', page))
    assert linked == {asset_version()}
    # Cached for good: a changed file comes with another URL.
    css = await client.get(f"/static/app.css?v={asset_version()}")
    assert "immutable" in css.headers["cache-control"]

    (tmp_path / "app.js").write_text("one();")
    before = asset_version(tmp_path)
    assert asset_version.__wrapped__(tmp_path) == before
    (tmp_path / "app.js").write_text("two();")
    assert asset_version.__wrapped__(tmp_path) != before


async def test_the_home_page_is_the_workflow_list(client: Client) -> None:
    response = await client.get("/", headers=ADMIN, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/workflows"

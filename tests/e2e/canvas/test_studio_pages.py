"""The other pages in the browser: keyboard editing with undo, branches, the chat pane, API
keys, import, runs, logs; a screenshot of each main page in the light and dark theme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.canvas.conftest import Studio, screenshot
from tests.e2e.canvas.helpers import add_provider, select, wait_saved

DIFY_FILE = Path(__file__).parents[3] / "../shared/dify-dsl/01_difyfix_basic_chatflow_d01456.yml"


def new_workflow(page: Any, studio: Studio, name: str, template: str) -> None:
    page.goto(f"{studio.url}/workflows/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.locator(f'input[name="starter"][value="{template}"]').check()
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("#canvas .node")


def test_keyboard_editing_and_undo(page: Any, studio: Studio, expect: Any) -> None:
    new_workflow(page, studio, "Keyboard", "start-llm-end")
    # The palette works from the keyboard: Enter adds the node in the middle of the view.
    page.locator('.palette-item[data-type="if_else"]').focus()
    page.keyboard.press("Enter")
    branch = page.locator('#canvas .node[data-type="if_else"]')
    expect(branch).to_have_count(1)
    expect(branch.locator('.handle.out[data-handle="case_1"]')).to_be_attached()
    expect(branch.locator('.handle.out[data-handle="else"]')).to_be_attached()
    expect(branch.locator(".node-handles")).to_contain_text("else")
    wait_saved(page)

    # Connect from the panel with the keyboard, then delete the node with the Delete key.
    select(page, "llm")
    page.get_by_label("Connect to").select_option("if_else")
    page.get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_selector('#canvas g.edge[data-from="llm"][data-to="if_else"]')
    node = page.locator("#node-if_else")
    node.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector('#panel .panel-head[data-node="if_else"]')
    node.focus()
    page.keyboard.press("Delete")
    expect(page.locator("#node-if_else")).to_have_count(0)
    expect(page.locator('#canvas g.edge[data-to="if_else"]')).to_have_count(0)
    wait_saved(page)

    # Undo brings it back, with its edge.
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#node-if_else")).to_have_count(1)
    expect(page.locator('#canvas g.edge[data-from="llm"][data-to="if_else"]')).to_have_count(1)
    page.reload()
    expect(page.locator("#node-if_else")).to_have_count(1)


def test_chat_pane_streams_answers(page: Any, studio: Studio, expect: Any) -> None:
    add_provider(page, studio)
    new_workflow(page, studio, "Chat with the fake", "chat")
    page.locator("#tab-run").click()
    message = page.get_by_label("Message")
    message.fill("hello over there")
    message.press("Enter")
    answer = page.locator("#chat-log .bubble.assistant").last
    expect(answer).to_contain_text("You said: hello over there", timeout=30_000)
    expect(answer).not_to_have_class("bubble assistant streaming")
    message.fill("and again")
    message.press("Enter")
    expect(page.locator("#chat-log .bubble.assistant")).to_have_count(2)
    expect(page.locator("#chat-log .bubble.assistant").last).to_contain_text(
        "You said: and again", timeout=30_000
    )
    screenshot(page, "chat")


def test_api_access_page(page: Any, studio: Studio, expect: Any) -> None:
    new_workflow(page, studio, "Callable", "start-llm-end")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#publish-result")).to_contain_text("Published version 1")
    page.get_by_role("link", name="API", exact=True).click()
    page.get_by_placeholder("Name, e.g. my-app").fill("my-app")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key")
    expect(key).to_contain_text("app-")
    expect(page.locator("#curl-streaming")).to_contain_text(key.text_content() or "")
    screenshot(page, "api")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("#keys")).to_contain_text("No active keys")


def test_import_runs_logs_and_the_list(page: Any, studio: Studio, expect: Any) -> None:
    if not DIFY_FILE.exists():
        pytest.skip(f"the Dify corpus is not beside this checkout ({DIFY_FILE.parent})")
    page.goto(f"{studio.url}/workflows/new")
    screenshot(page, "new-workflow")
    page.locator("#import-file").set_input_files(str(DIFY_FILE.resolve()))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("h1")).to_contain_text("Imported")
    expect(page.locator("main")).to_contain_text("From a Dify DSL file.")
    screenshot(page, "import-report")

    page.goto(f"{studio.url}/workflows")
    page.get_by_role("searchbox", name="Search workflows").fill("zzz-nothing")
    expect(page.locator("#workflow-rows")).to_contain_text("No workflow matches")
    page.get_by_role("searchbox", name="Search workflows").fill("")
    expect(page.locator("#workflow-rows table")).to_be_visible()
    screenshot(page, "workflows")

    page.goto(f"{studio.url}/runs")
    screenshot(page, "runs")
    page.get_by_label("Status").select_option("failed")
    expect(page).to_have_url(f"{studio.url}/runs?status=failed")

    page.goto(f"{studio.url}/logs")
    expect(page.locator("#log-lines")).to_contain_text("request")
    screenshot(page, "logs")


def test_login_and_logout(browser: Any, studio: Studio, expect: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{studio.url}/runs")
        page.get_by_label("Instance password").fill("not it")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("Wrong password.")
        screenshot(page, "login")
        page.get_by_label("Instance password").fill(studio.password)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{studio.url}/runs")
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{studio.url}/login")
        page.goto(f"{studio.url}/settings")
        expect(page).to_have_url(f"{studio.url}/login?next=/settings")
    finally:
        context.close()

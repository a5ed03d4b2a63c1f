"""The whole studio path: log in, add a provider, build Start → LLM → End by mouse, run
it and watch the text stream, open the run, rerun from the LLM node with an edited prompt."""

from __future__ import annotations

from typing import Any

from tests.e2e.canvas.conftest import Studio, screenshot
from tests.e2e.canvas.helpers import add_provider, connect, place, select, wait_saved

STREAMING_NOW = """() => {
  const text = document.querySelector('#run-panel [data-run-stream]');
  const status = document.querySelector('#run-panel [data-run-status]');
  return text && text.textContent.trim().length > 0 && status.textContent.trim() === 'running';
}"""


def test_build_run_and_rerun(page: Any, studio: Studio, expect: Any) -> None:
    add_provider(page, studio)
    page.locator("#providers tr", has_text="fake").get_by_role("button", name="Test").click()
    expect(page.locator("#provider-fake-result")).to_contain_text("Connected")
    page.locator("#providers tr", has_text="fake").get_by_role("button", name="Models").click()
    expect(page.locator("#provider-fake-result")).to_contain_text("fake-chat")
    screenshot(page, "settings")

    # A blank workflow, then Start, LLM and End placed and connected by mouse.
    page.goto(f"{studio.url}/workflows/new")
    page.get_by_label("Name", exact=True).fill("Ask the fake model")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#wf-name")).to_have_text("Ask the fake model")
    expect(page.locator("#issue-summary")).to_have_text("2 issues")
    start = place(page, "start", 50, 220)
    llm = place(page, "llm", 290, 220)
    end = place(page, "end", 530, 220)
    assert (start, llm, end) == ("start", "llm", "end")
    connect(page, start, llm)
    connect(page, llm, end)
    wait_saved(page)

    # Start asks for a question.
    select(page, start)
    page.get_by_role("button", name="Add input").click()
    page.get_by_label("Name", exact=True).fill("question")
    page.get_by_label("Type", exact=True).select_option("paragraph")
    wait_saved(page)
    expect(page.locator(f"#node-{start} .node-sub")).to_contain_text("question")

    # The LLM node uses the fake server's model and reads the question.
    select(page, llm)
    page.get_by_label("Provider", exact=True).select_option("fake")
    page.locator('[name="c.model.name"]').fill("fake-chat")
    page.locator('[name="c.messages.0.text"]').click()
    page.locator('#panel [data-insert="start.question"]').click()
    expect(page.locator('[name="c.messages.0.text"]')).to_have_value("{{ start.question }}")
    wait_saved(page)
    expect(page.locator(f"#node-{llm} .node-sub")).to_contain_text("fake/fake-chat")

    # End outputs the answer.
    select(page, end)
    page.get_by_role("button", name="Add output").click()
    page.locator('[name="c.outputs.0.name"]').fill("answer")
    page.locator('[name="c.outputs.0.value"]').fill("llm.text")
    wait_saved(page)
    expect(page.locator("#issue-summary")).to_have_text("No issues")
    screenshot(page, "editor")

    # Run: the text streams in while the run is still running.
    page.locator("#tab-run").click()
    page.get_by_label("question").fill("What is a canvas?")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function(STREAMING_NOW, timeout=20_000)
    partial = page.locator("#run-panel [data-run-stream]").text_content() or ""
    screenshot(page, "run-panel")
    expect(page.locator("#run-panel [data-run-status]")).to_have_text("succeeded", timeout=30_000)
    final = page.locator("#run-panel [data-run-stream]").text_content() or ""
    assert partial.strip(), "no text streamed before the run finished"
    assert len(final) > len(partial)
    assert final.startswith(partial)
    assert "You said: What is a canvas?" in final
    expect(page.locator("#run-panel [data-run-outputs] pre")).to_contain_text("You said")
    for node_id in (start, llm, end):
        expect(page.locator(f"#node-{node_id}")).to_have_attribute("data-state", "succeeded")

    # The run's detail, and a rerun from the LLM node with an edited prompt.
    page.locator("#run-panel [data-run-link]").click()
    expect(page.locator("h1")).to_contain_text("Run")
    expect(page.locator("h1 .pill")).to_have_text("succeeded")
    expect(page.locator(f"#node-{llm}")).to_have_attribute("data-state", "succeeded")
    screenshot(page, "run-detail")
    first_run = page.url
    page.locator(f"#exec-{llm}-0 > summary").click()
    page.locator(f"#rerun-{llm}").get_by_role("button", name="Rerun from this node…").click()
    edited = page.locator('textarea[name="edit.start.question"]')
    expect(edited).to_have_value("What is a canvas?")
    edited.fill("Tell me about otters")
    page.get_by_role("button", name="Rerun", exact=True).click()
    page.wait_for_url(lambda url: url != first_run and "/runs/" in url)
    expect(page.locator("h1 .pill")).to_have_text("succeeded", timeout=30_000)
    expect(page.locator("[data-run-outputs-final]")).to_contain_text(
        "You said: Tell me about otters"
    )
    expect(page.locator(".facts")).to_contain_text("Rerun of")
    # The Start node was reused, not run again: only the LLM and End ran in the rerun.
    prompts = [r.json for r in studio.model.requests if r.path.endswith("/chat/completions")]
    assert prompts[-1]["messages"][-1]["content"] == "Tell me about otters"

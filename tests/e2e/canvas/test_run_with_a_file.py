"""The run form's file input in the browser: htmx sends the chosen file with the form, the
run reads it, and its text is in the outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.canvas.conftest import Studio
from tests.e2e.canvas.test_retried_stream import create_workflow

READER = {
    "flowstead": 1,
    "name": "Read a file",
    "nodes": [
        {
            "id": "start",
            "type": "start",
            "config": {"inputs": [{"name": "doc", "type": "file", "label": "Document"}]},
        },
        {"id": "read", "type": "document_extractor", "config": {"variable": "start.doc"}},
        {
            "id": "end",
            "type": "end",
            "config": {"outputs": [{"name": "text", "value": "read.text"}]},
        },
    ],
    "edges": [{"from": "start", "to": "read"}, {"from": "read", "to": "end"}],
}


def test_a_file_chosen_in_the_run_form_is_read_by_the_run(
    page: Any, studio: Studio, expect: Any, tmp_path: Path
) -> None:
    workflow_id = create_workflow(studio, READER)
    notes = tmp_path / "kettle.md"
    notes.write_text("# Kitchen\n\nThe kettle is blue.\n")

    page.goto(f"{studio.url}/workflows/{workflow_id}")
    page.locator("#tab-run").click()
    page.locator("#run-panel #in-doc").set_input_files(str(notes))
    page.get_by_role("button", name="Run", exact=True).click()

    expect(page.locator("#run-panel [data-run-status]")).to_have_text("succeeded", timeout=30_000)
    expect(page.locator("#run-panel [data-run-outputs] pre")).to_contain_text("The kettle is blue.")

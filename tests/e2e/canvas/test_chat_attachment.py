"""A file attached to a chat message in the browser: htmx sends it with the message, the
turn's run reads it as `sys.files`, and the answer streams in. A refused attachment is
shown in the form, which keeps the message typed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.e2e.canvas.conftest import Studio, screenshot
from tests.e2e.canvas.helpers import add_provider
from tests.e2e.canvas.test_retried_stream import create_workflow

READER = {
    "flowstead": 1,
    "name": "Chat about a file",
    "mode": "chat",
    "nodes": [
        {"id": "start", "type": "start", "config": {"inputs": []}},
        {"id": "read", "type": "document_extractor", "config": {"variable": "sys.files"}},
        {
            "id": "llm",
            "type": "llm",
            "config": {
                "model": {"provider": "fake", "name": "fake-chat"},
                "messages": [{"role": "user", "text": "{{ read.text | join(' ') }}"}],
            },
        },
        {"id": "answer", "type": "answer", "config": {"text": "{{ llm.text }}"}},
    ],
    "edges": [
        {"from": "start", "to": "read"},
        {"from": "read", "to": "llm"},
        {"from": "llm", "to": "answer"},
    ],
}


def test_a_file_attached_to_a_message_is_read_by_its_turn(
    page: Any, studio: Studio, expect: Any, tmp_path: Path
) -> None:
    add_provider(page, studio)
    workflow_id = create_workflow(studio, READER)
    notes = tmp_path / "kettle.md"
    notes.write_text("The kettle is blue.\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")

    page.goto(f"{studio.url}/workflows/{workflow_id}/chat")
    message = page.get_by_label("Message")
    attach = page.get_by_label("Attach files")

    # An empty file is refused: the form says so and keeps the message.
    attach.set_input_files(str(empty))
    message.fill("What colour is the kettle?")
    message.press("Enter")
    expect(page.locator("#chat-error")).to_have_text("Attachments: The file 'empty.txt' is empty.")
    expect(message).to_have_value("What colour is the kettle?")
    expect(page.locator("#chat-log .bubble")).to_have_count(0)
    expect(page.locator("#chat-log .chat-empty")).to_be_visible()
    screenshot(page, "chat-attachment-refused")

    attach.set_input_files(str(notes))
    message.press("Enter")

    user = page.locator("#chat-log .bubble.user")
    expect(user).to_contain_text("What colour is the kettle?")
    expect(user.locator(".bubble-files li")).to_have_text(["kettle.md"])
    answer = page.locator("#chat-log .bubble.assistant")
    expect(answer).to_contain_text("You said: The kettle is blue.", timeout=30_000)
    expect(answer).not_to_have_class(re.compile(r"\bstreaming\b"))
    expect(page.locator("#chat-error")).to_be_hidden()
    expect(page.locator("#chat-log .chat-empty")).to_be_hidden()  # a conversation now
    expect(page.locator("#chat-pick option:checked")).to_contain_text("What colour is the kettle?")
    # Sent: the message and the attachments are cleared for the next one.
    expect(message).to_have_value("")
    expect(message).to_be_focused()
    assert attach.evaluate("input => input.files.length") == 0
    screenshot(page, "chat-attachment")

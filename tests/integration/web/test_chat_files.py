"""Files in the chat pane: the Start's file inputs on a conversation's first message, and
attachments on every message, which become that turn's `sys.files`. Chosen files are kept
as uploads; a refused turn keeps nothing and says why in the form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from flowstead.settings import Settings
from flowstead.store.protocol import Store
from flowstead.store.records import Run
from tests.integration.web.conftest import HTMX, Client, assert_ok, create, text_of, wait_finished
from tests.integration.web.test_run_files import kept_files

MB = 1024 * 1024
NOTES = b"The kettle is blue.\n"


def chat_reader(variable: str, *, inputs: list[dict[str, Any]], answer: str) -> dict[str, Any]:
    """A chat workflow: Start → document extractor reading `variable` → Answer."""
    return {
        "flowstead": 1,
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start", "config": {"inputs": inputs}},
            {"id": "read", "type": "document_extractor", "config": {"variable": variable}},
            {"id": "answer", "type": "answer", "config": {"text": answer}},
        ],
        "edges": [{"from": "start", "to": "read"}, {"from": "read", "to": "answer"}],
    }


DOC_INPUT = {"name": "doc", "type": "file", "label": "Document", "required": True}
# Reads the Start's file input `doc`.
INPUT_READER = chat_reader("start.doc", inputs=[DOC_INPUT], answer="{{ read.text }}")
# Reads the message's attachments.
ATTACHMENT_READER = chat_reader("sys.files", inputs=[], answer="{{ read.text | join(' | ') }}")


async def send(
    client: Client, workflow_id: str, query: str, files: list[Any], conversation_id: str = ""
) -> Any:
    data = {"query": query, "conversation_id": conversation_id}
    return await client.post(f"/workflows/{workflow_id}/chat", data=data, files=files, headers=HTMX)


def found(pattern: str, html: str) -> str:
    match = re.search(pattern, html)
    assert match is not None, f"{pattern} not in {html[:2000]}"
    return match.group(1)


async def answered(store: Store, turn: str) -> Run:
    run = await wait_finished(store, found(r'data-run-id="([^"]+)"', turn))
    assert run.status == "succeeded", run.error
    return run


def conversation_of(turn: str) -> str:
    return found(r'id="chat-conversation" name="conversation_id" value="([^"]+)"', turn)


async def test_the_chat_form_offers_the_file_inputs_and_attachments(
    client: Client, store: Store
) -> None:
    workflow_id = await create(store, INPUT_READER)
    pane = assert_ok(await client.get(f"/workflows/{workflow_id}/chat", headers=HTMX))

    assert 'hx-encoding="multipart/form-data"' in pane
    assert '<input type="file" id="chat-in-doc" name="in.doc">' in pane
    assert '<label for="chat-files" class="chat-attach">Attach files</label>' in pane
    assert '<input type="file" id="chat-files" name="files" multiple>' in pane


@pytest.mark.usefixtures("worker")
async def test_the_first_message_carries_the_file_inputs(
    client: Client, store: Store, settings: Settings
) -> None:
    workflow_id = await create(store, INPUT_READER)

    first = assert_ok(
        await send(
            client, workflow_id, "read it", [("in.doc", ("notes.md", NOTES, "text/markdown"))]
        )
    )

    run = await answered(store, first)
    assert run.outputs == {"answer": NOTES.decode()}
    [upload] = await store.uploads.list()
    assert (upload.name, upload.mime_type, upload.created_by) == (
        "notes.md",
        "text/markdown",
        "studio",
    )
    assert run.inputs["doc"]["id"] == upload.id
    # The conversation is started: its inputs are fixed, so the form stops offering them.
    assert '<div id="chat-inputs" hidden hx-swap-oob="true"></div>' in first
    conversation_id = conversation_of(first)

    # A later message keeps the first one's inputs; a file sent for them is not kept.
    other = [("in.doc", ("other.txt", b"ignored", "text/plain"))]
    second = assert_ok(await send(client, workflow_id, "again", other, conversation_id))
    again = await answered(store, second)
    assert again.outputs == {"answer": NOTES.decode()}
    assert "chat-inputs" not in second
    assert [u.id for u in await store.uploads.list()] == [upload.id]
    assert [p.name for p in kept_files(settings)] == [upload.id]
    messages = await store.messages.list(conversation_id)
    assert [m.query for m in messages] == ["read it", "again"]


@pytest.mark.usefixtures("worker")
async def test_attachments_become_the_turns_sys_files(client: Client, store: Store) -> None:
    workflow_id = await create(store, ATTACHMENT_READER)
    files = [
        ("files", ("a.txt", b"Alpha", "text/plain")),
        ("files", ("b.md", b"# Beta", "text/markdown")),
    ]

    turn = assert_ok(await send(client, workflow_id, "what do they say?", files))

    assert (
        '<div class="bubble user"><span class="bubble-text">what do they say?</span>'
        '<ul class="bubble-files" aria-label="Attachments"><li>a.txt</li><li>b.md</li></ul></div>'
    ) in turn
    run = await answered(store, turn)
    assert run.outputs == {"answer": "Alpha | # Beta"}
    assert [f["name"] for f in run.inputs["sys.files"]] == ["a.txt", "b.md"]
    assert {u.name for u in await store.uploads.list()} == {"a.txt", "b.md"}

    # The next message has attachments of its own; the log names each message's files.
    conversation_id = conversation_of(turn)
    later = [("files", ("c.txt", b"Gamma", "text/plain"))]
    second = await answered(
        store, assert_ok(await send(client, workflow_id, "and this?", later, conversation_id))
    )
    assert second.outputs == {"answer": "Gamma"}
    pane = assert_ok(
        await client.get(
            f"/workflows/{workflow_id}/chat?conversation={conversation_id}", headers=HTMX
        )
    )
    assert "<li>a.txt</li><li>b.md</li></ul></div>" in pane
    assert (
        '<span class="bubble-text">and this?</span>'
        '<ul class="bubble-files" aria-label="Attachments"><li>c.txt</li></ul>'
    ) in pane
    assert "Alpha | # Beta" in text_of(pane)
    # Each message keeps its turn's files.
    messages = await store.messages.list(conversation_id)
    assert [[f["name"] for f in m.files] for m in messages] == [["a.txt", "b.md"], ["c.txt"]]
    assert messages[0].files == run.inputs["sys.files"]


async def test_the_log_names_attachments_from_the_messages(client: Client, store: Store) -> None:
    """The chat log reads a message's files from the message, not from its run."""
    workflow_id = await create(store, ATTACHMENT_READER)
    chat = await store.conversations.create(workflow_id=workflow_id, user="studio", name="Kept")
    files = [{"id": "01a2034e-0000-7000-8000-000000000001", "name": "kept.txt"}, {"url": "u"}]
    await store.messages.add(
        conversation_id=chat.id, run_id=None, query="with files", answer="ok", files=files
    )
    await store.messages.add(conversation_id=chat.id, run_id=None, query="none", answer="ok")

    pane = assert_ok(
        await client.get(f"/workflows/{workflow_id}/chat?conversation={chat.id}", headers=HTMX)
    )

    assert (
        '<span class="bubble-text">with files</span>'
        '<ul class="bubble-files" aria-label="Attachments"><li>kept.txt</li><li>file</li></ul>'
    ) in pane
    assert '<span class="bubble-text">none</span></div>' in pane


@pytest.mark.usefixtures("worker")
async def test_a_message_without_attachments_has_no_sys_files(client: Client, store: Store) -> None:
    workflow_id = await create(store, INPUT_READER)
    files = [
        ("in.doc", ("notes.txt", NOTES, "text/plain")),
        ("files", ("", b"", "application/octet-stream")),
    ]

    turn = assert_ok(await send(client, workflow_id, "hi", files))

    assert '<span class="bubble-text">hi</span></div>' in turn
    run = await answered(store, turn)
    assert "sys.files" not in run.inputs
    assert len(await store.uploads.list()) == 1


async def test_an_attachment_of_exactly_the_limit_is_kept(
    client: Client, store: Store, settings: Settings
) -> None:
    """The chat takes a body a form's worth larger than the largest file, as the run form."""
    workflow_id = await create(store, ATTACHMENT_READER)
    full = [("files", ("full.txt", b"x" * (settings.max_upload_mb * MB), "text/plain"))]

    assert_ok(await send(client, workflow_id, "a big one", full))

    [upload] = await store.uploads.list()
    assert upload.size == settings.max_upload_mb * MB


REFUSED = [
    pytest.param(
        [
            ("files", ("fine.txt", b"some text", "text/plain")),
            ("files", ("empty.txt", b"", "text/plain")),
        ],
        "Attachments: The file 'empty.txt' is empty.",
        id="empty-attachment",
    ),
    pytest.param(
        [("files", ("big.txt", b"x" * (2 * MB + 1), "text/plain"))],
        "Attachments: File size exceeded: 'big.txt'",
        id="attachment-too-large",
    ),
    pytest.param(
        [
            ("in.doc", ("notes.txt", NOTES, "text/plain")),
            ("files", ("void.txt", b"", "text/plain")),
        ],
        "Attachments: The file 'void.txt' is empty.",
        id="input-kept-then-attachment-refused",
    ),
    pytest.param(
        [("in.doc", ("empty.txt", b"", "text/plain")), ("files", ("a.txt", b"A", "text/plain"))],
        "Document: The file 'empty.txt' is empty.",
        id="file-input-refused",
    ),
    pytest.param(
        [("files", ("a.txt", b"A", "text/plain"))],
        "invalid inputs:",
        id="run-refused-without-the-required-input",
    ),
]


@pytest.mark.parametrize(("files", "message"), REFUSED)
async def test_a_refused_turn_keeps_nothing_and_says_why_in_the_form(
    client: Client, store: Store, settings: Settings, files: list[Any], message: str
) -> None:
    workflow_id = await create(store, INPUT_READER)

    response = await send(client, workflow_id, "read these", files)

    refusal = assert_ok(response, 422)
    assert refusal.startswith(
        '<p id="chat-error" class="alert error" role="alert" hx-swap-oob="true">'
    )
    assert message in text_of(refusal)
    assert "bubble" not in refusal  # nothing is added to the chat log
    assert await store.uploads.list() == []
    assert kept_files(settings) == []
    assert await store.runs.list() == []
    assert await store.conversations.list(workflow_id=workflow_id, user="studio") == []


@pytest.mark.usefixtures("worker")
async def test_a_refused_later_turn_stores_no_message(
    client: Client, store: Store, settings: Settings
) -> None:
    workflow_id = await create(store, ATTACHMENT_READER)
    first = await answered(store, assert_ok(await send(client, workflow_id, "hello", [])))
    assert first.conversation_id is not None

    empty = [("files", ("empty.txt", b"", "text/plain"))]
    response = await send(client, workflow_id, "and this?", empty, first.conversation_id)

    assert "Attachments: The file 'empty.txt' is empty." in text_of(assert_ok(response, 422))
    assert [m.query for m in await store.messages.list(first.conversation_id)] == ["hello"]
    assert [r.id for r in await store.runs.list()] == [first.id]
    assert await store.uploads.list() == []
    assert kept_files(settings) == []

"""The files a chat turn carried, kept on its message, on every adapter: SQLite, SurrealDB
mem:// and surrealkv://."""

from __future__ import annotations

from typing import Any

from flowstead.store import Store
from flowstead.store.records import Conversation
from flowstead.store.sqlite import SqliteStore
from flowstead.store.surreal import SurrealStore
from tests.integration.store.conftest import Opener
from tests.integration.store.raw import migrate_again

UPLOAD_ID = "01a2034e-0000-7000-8000-000000000001"
UPLOADED: dict[str, Any] = {
    "id": UPLOAD_ID,
    "name": "notes.md",
    "size": 48213,
    "extension": ".md",
    "mime_type": "text/markdown",
    "type": "document",
    "transfer_method": "local_file",
}
REMOTE: dict[str, Any] = {
    "url": "https://example.com/docs/Résumé.pdf?v=2",
    "name": "Résumé.pdf",
    "extension": ".pdf",
    "mime_type": "application/pdf",
    "type": "document",
    "transfer_method": "remote_url",
}


async def conversation(store: Store, name: str = "Bot") -> Conversation:
    workflow = await store.workflows.create(name=name, document={}, mode="chat")
    return await store.conversations.create(workflow_id=workflow.id, user="ann")


async def test_a_message_keeps_the_files_of_its_turn(store: Store) -> None:
    chat = await conversation(store)

    added = await store.messages.add(
        conversation_id=chat.id, run_id=None, query="q", answer="a", files=[UPLOADED, REMOTE]
    )
    plain = await store.messages.add(conversation_id=chat.id, run_id=None, query="q", answer="a")

    assert added.files == [UPLOADED, REMOTE]
    assert plain.files == []
    assert await store.messages.get(added.id) == added
    assert await store.messages.list(chat.id) == [added, plain]


async def test_a_file_field_without_a_value_is_left_out(store: Store) -> None:
    chat = await conversation(store)

    added = await store.messages.add(
        conversation_id=chat.id,
        run_id=None,
        query="q",
        answer="a",
        files=[{"url": "https://example.com/a", "name": "a", "size": None}],
    )

    assert added.files == [{"url": "https://example.com/a", "name": "a"}]
    assert await store.messages.get(added.id) == added


async def test_files_survive_a_reopen(reopen: Opener) -> None:
    async with await reopen() as store:
        chat = await conversation(store)
        added = await store.messages.add(
            conversation_id=chat.id, run_id=None, query="q", answer="a", files=[UPLOADED]
        )
    async with await reopen() as store:
        assert await store.messages.get(added.id) == added


async def test_an_upload_is_found_only_among_the_workflows_messages(store: Store) -> None:
    chat = await conversation(store)
    other = await conversation(store, "Other bot")
    await store.messages.add(
        conversation_id=chat.id, run_id=None, query="q", answer="a", files=[REMOTE, UPLOADED]
    )
    await store.messages.add(conversation_id=other.id, run_id=None, query="q", answer="a")

    assert await store.messages.has_upload(chat.workflow_id, UPLOAD_ID) is True
    assert await store.messages.has_upload(other.workflow_id, UPLOAD_ID) is False
    assert await store.messages.has_upload(chat.workflow_id, "01a2034e-0000") is False
    # A remote file's URL is not an upload id.
    assert await store.messages.has_upload(chat.workflow_id, REMOTE["url"]) is False

    await store.conversations.delete(chat.id)
    assert await store.messages.has_upload(chat.workflow_id, UPLOAD_ID) is False


async def test_a_message_stored_before_files_were_kept_has_none(store: Store) -> None:
    chat = await conversation(store)
    old_id = "01a2034e-0000-7000-8000-0000000000aa"

    # A message as migration 6 found it: without files.
    if isinstance(store, SqliteStore):
        await store._db.write(
            "INSERT INTO messages (id, conversation_id, query, answer, inputs, created_at)"
            " VALUES (?, ?, 'old q', 'old a', '{}', 1)",
            (old_id, chat.id),
        )
    else:
        assert isinstance(store, SurrealStore)
        await store._db.write(
            "DELETE migration:6; CREATE type::thing('message', $id) SET conversation_id ="
            " $conversation, query = 'old q', answer = 'old a', inputs = '{}', created_at = 1",
            {"id": old_id, "conversation": chat.id},
        )
        assert await migrate_again(store) == [6]

    old = await store.messages.get(old_id)
    assert old is not None
    assert (old.query, old.files) == ("old q", [])
    assert [m.files for m in await store.messages.list(chat.id)] == [[]]
    assert await store.messages.has_upload(chat.workflow_id, UPLOAD_ID) is False

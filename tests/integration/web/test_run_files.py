"""File inputs in the run form: the chosen files are kept as uploads and the run reads
them; a refused file keeps nothing and says why on the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flowstead.services.files import uploads_dir
from flowstead.settings import Settings
from flowstead.store.protocol import Store
from tests.integration.web.conftest import HTMX, Client, assert_ok, create, text_of, wait_finished
from tests.integration.web.test_runs import run_id_of

MB = 1024 * 1024


def reader_document(input_type: str = "file") -> dict[str, Any]:
    """Start (a file input) → document extractor → End."""
    return {
        "flowstead": 1,
        "name": "read",
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "config": {"inputs": [{"name": "doc", "type": input_type, "label": "Document"}]},
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


def kept_files(settings: Settings) -> list[Path]:
    folder = uploads_dir(settings.data_dir)
    return sorted(folder.iterdir()) if folder.exists() else []


async def test_the_run_form_offers_a_file_picker(client: Client, store: Store) -> None:
    workflow_id = await create(store, reader_document("files"))
    form = assert_ok(await client.get(f"/workflows/{workflow_id}/run", headers=HTMX))
    assert 'hx-encoding="multipart/form-data"' in form
    assert 'type="file" id="in-doc" name="in.doc" multiple' in form


@pytest.mark.usefixtures("worker")
async def test_a_chosen_file_is_uploaded_and_read_by_the_run(
    client: Client, store: Store, settings: Settings
) -> None:
    workflow_id = await create(store, reader_document())
    live = assert_ok(
        await client.post(
            f"/workflows/{workflow_id}/run",
            files={"in.doc": ("notes.md", b"# Notes\n\nThe kettle is blue.", "text/markdown")},
            headers=HTMX,
        )
    )
    run = await wait_finished(store, run_id_of(live))

    assert run.status == "succeeded", run.error
    assert run.outputs is not None
    assert "The kettle is blue." in run.outputs["text"]
    uploads = await store.uploads.list()
    assert [(u.name, u.mime_type, u.created_by) for u in uploads] == [
        ("notes.md", "text/markdown", "studio")
    ]
    assert run.inputs["doc"]["id"] == uploads[0].id
    assert [p.name for p in kept_files(settings)] == [uploads[0].id]


async def test_a_refused_file_keeps_nothing_and_says_why(
    client: Client, store: Store, settings: Settings
) -> None:
    workflow_id = await create(store, reader_document("files"))
    response = await client.post(
        f"/workflows/{workflow_id}/run",
        files=[
            ("in.doc", ("fine.txt", b"some text", "text/plain")),
            ("in.doc", ("empty.txt", b"", "text/plain")),
        ],
        headers=HTMX,
    )

    page = text_of(assert_ok(response))
    assert "Document: The file 'empty.txt' is empty." in page
    assert await store.runs.list() == []
    assert await store.uploads.list() == []
    assert kept_files(settings) == []


async def test_a_file_over_the_limit_is_refused_on_the_form(
    client: Client, store: Store, settings: Settings
) -> None:
    workflow_id = await create(store, reader_document())
    too_big = b"x" * (settings.max_upload_mb * MB + 1)
    response = await client.post(
        f"/workflows/{workflow_id}/run",
        files={"in.doc": ("big.txt", too_big, "text/plain")},
        headers=HTMX,
    )

    page = text_of(assert_ok(response))
    assert "Document: File size exceeded: 'big.txt'" in page
    assert await store.runs.list() == []
    assert kept_files(settings) == []

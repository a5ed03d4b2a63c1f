"""The collaborators a worker hands the engine: providers read from the store, uploads."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowstead.engine.ports import ChatMessage, ChatRequest, FileContent
from flowstead.engine.tools import ToolSettings
from flowstead.services.collaborators import API_KEY, open_collaborators
from flowstead.services.files import FileUnavailable, upload_path
from flowstead.settings import Settings
from flowstead.store import Store
from tests.fakes import FakeModelServer
from tests.integration.worker.conftest import PROVIDER


async def test_a_rotated_api_key_applies_to_the_next_request(
    store: Store, settings: Settings, model_server: FakeModelServer
) -> None:
    request = ChatRequest(PROVIDER, "fake-chat", (ChatMessage("user", "hi"),))
    base_url = model_server.base_url
    async with open_collaborators(store, settings.data_dir, max_file_bytes=1024) as tools:
        for key in ("sk-first", "sk-second"):
            await store.providers.put(
                PROVIDER, kind="openai", base_url=base_url, secrets={API_KEY: key}
            )
            _ = [chunk async for chunk in tools.llm.stream(request)]

    sent = [r.headers.get("authorization") for r in model_server.requests]
    assert sent == ["Bearer sk-first", "Bearer sk-second"]


async def test_knowledge_retrieval_names_a_missing_knowledge_base(
    store: Store, settings: Settings
) -> None:
    async with open_collaborators(store, settings.data_dir, max_file_bytes=1024) as tools:
        with pytest.raises(LookupError, match="no knowledge base named 'kb'"):
            await tools.retriever.retrieve(["kb"], "q", top_k=3, score_threshold=None)


async def test_files_are_read_from_the_uploads_in_the_data_dir(
    store: Store, settings: Settings
) -> None:
    path = upload_path(settings.data_dir, "f1")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"hello")
    async with open_collaborators(store, settings.data_dir, max_file_bytes=1024) as tools:
        assert await tools.files.read({"id": "f1", "name": "a.txt"}) == FileContent(b"hello")
        with pytest.raises(FileUnavailable, match="does not exist"):
            await tools.files.read({"id": "f2"})
        with pytest.raises(FileUnavailable, match="not an upload id"):
            await tools.files.read({"id": "../flowstead.db"})


def test_an_upload_path_never_leaves_the_uploads_dir(tmp_path: Path) -> None:
    with pytest.raises(FileUnavailable):
        upload_path(tmp_path, "a/b")


async def test_the_tool_settings_given_reach_the_tools(store: Store, settings: Settings) -> None:
    given = ToolSettings(searxng_url="http://searxng:8080")
    async with open_collaborators(
        store, settings.data_dir, max_file_bytes=1024, tool_settings=given
    ) as tools:
        assert tools.tool_settings == given
    async with open_collaborators(store, settings.data_dir, max_file_bytes=1024) as tools:
        assert tools.tool_settings == ToolSettings()

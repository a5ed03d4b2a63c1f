"""Run a workflow file in this process, without the API or a worker (`flowstead run`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from flowstead.dsl.document import Document
from flowstead.engine.engine import CompiledWorkflow
from flowstead.engine.events import Event
from flowstead.engine.limits import Limits
from flowstead.engine.node import RunInfo
from flowstead.engine.tools import ToolSettings
from flowstead.services.collaborators import open_collaborators
from flowstead.settings import Settings
from flowstead.store import open_store


async def run_document(
    document: Document, inputs: Mapping[str, Any], settings: Settings, *, query: str = ""
) -> AsyncGenerator[Event, None]:
    """Compile `document` and stream its run's events. Model providers come from the
    instance's stored settings, so an LLM node works as it does in a served run.
    Raises `WorkflowInvalid` before the first event when the runner refuses the document."""
    compiled = CompiledWorkflow.compile(document)
    store = await open_store(settings.database_url, settings.data_dir)
    try:
        async with open_collaborators(
            store,
            settings.data_dir,
            max_file_bytes=settings.max_upload_mb * 1024 * 1024,
            tool_settings=ToolSettings(searxng_url=settings.searxng_url),
        ) as collaborators:
            info = RunInfo(
                run_id=str(uuid.uuid4()), workflow_id=f"local:{document.name}", mode=document.mode
            )
            limits = Limits(
                max_steps=settings.max_steps,
                max_time=settings.max_run_seconds,
                node_timeout=settings.node_timeout_seconds,
                max_parallel=settings.max_parallel_branches,
            )
            env = {v.name: v.value for v in document.environment}
            async for event in compiled.run(
                inputs, info, collaborators, env=env, query=query, limits=limits
            ):
                yield event
    finally:
        await store.close()

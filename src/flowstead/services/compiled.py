"""Compiled workflows, kept per published version: a version never changes, so it is
compiled once per process. Drafts change at every edit and are compiled for each run."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from flowstead.dsl.document import DocumentError, from_data
from flowstead.engine.engine import CompiledWorkflow, WorkflowInvalid


class Unrunnable(ValueError):
    """The document cannot run (not a document, or the runner refuses it); says why."""


class CompiledWorkflows:
    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._cache: OrderedDict[tuple[str, int], CompiledWorkflow] = OrderedDict()

    async def get(
        self,
        workflow_id: str,
        version: int | None,
        document: Callable[[], Awaitable[dict[str, Any] | None]],
    ) -> CompiledWorkflow:
        """The compiled workflow; `document` is called only when it must be compiled."""
        key = None if version is None else (workflow_id, version)
        if key is not None and (hit := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return hit
        data = await document()
        if data is None:
            raise Unrunnable("the workflow's document no longer exists")
        try:
            compiled = CompiledWorkflow.compile(from_data(data))
        except (DocumentError, WorkflowInvalid) as exc:
            raise Unrunnable(str(exc)) from None
        if key is not None:
            self._cache[key] = compiled
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return compiled

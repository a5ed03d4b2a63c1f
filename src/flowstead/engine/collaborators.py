"""The collaborators a run is given: LLM, HTTP, code runner, retriever, files and clock,
and where the built-in tools find the services they call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowstead.engine.ports import LLM, Clock, CodeRunner, Files, HttpClient, Retriever
from flowstead.engine.tools.base import ToolSettings


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _Unconfigured:
    """Stands in for a collaborator nobody passed; using it fails the node that tried."""

    def __init__(self, what: str):
        self._what = what

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"no {self._what} was given to this run")


def _missing(what: str) -> Callable[[], Any]:
    return lambda: _Unconfigured(what)


@dataclass(frozen=True, slots=True)
class Collaborators:
    llm: LLM = field(default_factory=_missing("LLM client"))
    http: HttpClient = field(default_factory=_missing("HTTP client"))
    code: CodeRunner = field(default_factory=_missing("code runner"))
    retriever: Retriever = field(default_factory=_missing("retriever"))
    files: Files = field(default_factory=_missing("file reader"))
    clock: Clock = field(default_factory=SystemClock)
    tool_settings: ToolSettings = field(default_factory=ToolSettings)

"""Commands a running workflow obeys: stop, pause and resume, through a channel.

The engine only receives; whoever controls the run sends through the channel's own
means (the in-memory one here; the worker adds one shared between processes)."""

from __future__ import annotations

import asyncio
from typing import Literal, Protocol

import msgspec


class Command(msgspec.Struct, frozen=True):
    kind: Literal["stop", "pause", "resume"]
    reason: str = ""


class CommandChannel(Protocol):
    async def receive(self) -> Command:
        """The next command for this run; waits until there is one."""
        ...


class InMemoryCommandChannel:
    """A channel within one process (tests, and runs started in-process)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Command] = asyncio.Queue()

    def send(self, command: Command) -> None:
        self._queue.put_nowait(command)

    async def receive(self) -> Command:
        return await self._queue.get()

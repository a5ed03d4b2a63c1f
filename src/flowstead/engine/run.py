"""The state one run shares across its walks: events out, commands in, limits, totals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from flowstead.engine.collaborators import Collaborators
from flowstead.engine.commands import Command, CommandChannel
from flowstead.engine.events import Event, RunStatus
from flowstead.engine.limits import Budget, Limits
from flowstead.engine.node import RunInfo
from flowstead.engine.ports import ChatMessage


class Outbox:
    """The run's events on their way out: appended by the run, taken in batches."""

    __slots__ = ("_events", "_waiter")

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._waiter: asyncio.Future[None] | None = None

    def put(self, event: Event) -> None:
        self._events.append(event)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def take(self) -> list[Event]:
        """The events put since the last take; waits for one if there are none."""
        while not self._events:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        events, self._events = self._events, []
        return events


class Run:
    __slots__ = (
        "_resumed",
        "aborted",
        "answers",
        "budget",
        "collaborators",
        "emit",
        "handled_failure",
        "history",
        "info",
        "limits",
        "outputs",
        "pause_reason",
        "pausing",
        "task",
        "tokens",
    )

    def __init__(
        self,
        info: RunInfo,
        collaborators: Collaborators,
        history: Sequence[ChatMessage],
        limits: Limits,
        emit: Callable[[Event], None],
    ):
        self.info = info
        self.collaborators = collaborators
        self.history = list(history)
        self.limits = limits
        self.budget = Budget(limits, collaborators.clock)
        self.emit = emit
        self.tokens = 0
        # The run's outputs: what its End nodes gave, and the answer text it streamed.
        self.outputs: dict[str, Any] = {}
        self.answers: list[str] = []
        self.handled_failure = False
        # Set when the run must end early (a command, a limit): its status and why.
        self.aborted: tuple[RunStatus, str] | None = None
        self.task: asyncio.Task[None] | None = None
        self.pausing = False
        self.pause_reason = ""
        self._resumed = asyncio.Event()

    def abort(self, status: RunStatus, error: str) -> NoReturn:
        """End the run from inside it: cancels every walk, then finishes as `status`."""
        self.end(status, error)
        raise asyncio.CancelledError

    def end(self, status: RunStatus, error: str) -> None:
        """End the run from outside its walks (a stop command)."""
        if self.aborted is None:
            self.aborted = (status, error)
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()

    def obey(self, command: Command) -> None:
        if command.kind == "stop":
            self.end("stopped", command.reason or "stopped by request")
        elif command.kind == "pause":
            self.pausing, self.pause_reason = True, command.reason
            self._resumed.clear()
        else:
            self.pausing = False
            self._resumed.set()

    async def resumed(self) -> None:
        await self._resumed.wait()

    async def listen(self, channel: CommandChannel) -> None:
        while True:
            self.obey(await channel.receive())

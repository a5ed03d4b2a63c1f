"""Run limits: steps, total time and per-node time, and the budget that enforces them."""

from __future__ import annotations

import msgspec

from flowstead.engine.ports import Clock


class Limits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # A step is one node execution (its retries included; replayed nodes are not steps).
    max_steps: int = 500
    # Seconds from the run's start.
    max_time: float = 1200.0
    # Seconds for a node without its own `timeout` (containers have none by default).
    node_timeout: float = 600.0
    # Nodes of one graph level running at once.
    max_parallel: int = 10


class Budget:
    """Counts one run's steps and time; names the limit a run has exceeded."""

    __slots__ = ("_clock", "limits", "started", "steps")

    def __init__(self, limits: Limits, clock: Clock):
        self.limits = limits
        self._clock = clock
        self.started = clock.monotonic()
        self.steps = 0

    def elapsed(self) -> float:
        return self._clock.monotonic() - self.started

    def admit(self, now: float) -> str | None:
        """Count a step about to start at `now` (monotonic); the exceeded limit, if any."""
        self.steps += 1
        if self.steps > self.limits.max_steps:
            return f"the run exceeded its limit of {self.limits.max_steps} steps"
        if now - self.started > self.limits.max_time:
            return self.time_exceeded()
        return None

    def time_exceeded(self) -> str:
        return f"the run exceeded its time limit of {self.limits.max_time:g} s"

    def node_time(self, own: float | None, container: bool, now: float) -> tuple[float, bool]:
        """Seconds a node starting at `now` may take, and whether the run's limit set that."""
        if own is None and not container:
            own = self.limits.node_timeout
        remaining = max(self.limits.max_time - (now - self.started), 0.0)
        if own is None or remaining <= own:
            return remaining, True
        return own, False

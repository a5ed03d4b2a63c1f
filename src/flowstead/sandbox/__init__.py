"""The code node's runner: user programs in child processes under limits (not engine/)."""

from __future__ import annotations

from flowstead.sandbox.runner import ProcessCodeRunner

__all__ = ["ProcessCodeRunner"]

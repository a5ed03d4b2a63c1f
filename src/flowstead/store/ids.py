"""Ids for records created on the hot path: UUIDs whose first 48 bits are the time in
milliseconds (RFC 9562, version 7), the rest random.

Runs, jobs and node executions are looked up by these ids, and a run's events are keyed
by its id: with random (version 4) ids every insert lands on a random page of each such
index, while ids made close together share pages, so a commit writes a few neighbouring
pages instead of one page per index per run."""

from __future__ import annotations

import os
import time
import uuid

_VERSION = 0x7 << 76
_VARIANT = 0x2 << 62
_CLEAR = ~((0xF << 76) | (0x3 << 62))


def new_id() -> str:
    """A new time-ordered UUID as text, like `str(uuid.uuid4())`."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    return str(uuid.UUID(int=value & _CLEAR | _VERSION | _VARIANT))

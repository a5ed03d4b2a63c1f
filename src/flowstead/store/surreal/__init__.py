"""SurrealDB through the official SDK: a server over ws://, or the embedded engine.

An embedded `surrealkv://` store belongs to one process: a second process opening the
same files would silently lose writes, so opening takes an exclusive lock file.
"""

from __future__ import annotations

from flowstead.store.surreal.database import SurrealTarget
from flowstead.store.surreal.store import SurrealStore

__all__ = ["SurrealStore", "SurrealTarget"]

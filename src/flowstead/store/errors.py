"""The exceptions the store raises; adapters translate their driver errors into these."""

from __future__ import annotations


class StoreError(Exception):
    """The database refused or failed an operation."""


class NotFound(StoreError):
    """A write named a record that does not exist (reads return None instead)."""

    def __init__(self, kind: str, key: str = "") -> None:
        super().__init__(f"{kind} not found: {key}" if key else f"{kind} not found")
        self.kind = kind
        self.key = key


class Conflict(StoreError):
    """A write would break a uniqueness rule, such as a second knowledge base with one name."""

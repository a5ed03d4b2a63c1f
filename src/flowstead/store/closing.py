"""Closing and `async with` support shared by the store adapters."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self


class Database(Protocol):
    async def close(self) -> None: ...


class ClosingStore:
    """A store that owns `_db` and closes it on `close()` or at the end of `async with`."""

    _db: Database

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

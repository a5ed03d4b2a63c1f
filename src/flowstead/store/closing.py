"""`async with` support shared by the store adapters."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class ClosingStore:
    """Closes the store when an `async with` block ends."""

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

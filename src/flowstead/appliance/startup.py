"""What each program does before it serves: wait for the database, apply its migrations,
and make sure the instance has a password (generated and printed once if none is set).
The worker (and `flowstead up`) call `prepare_or_exit` first; the servers do the same in
their lifespan (`open_prepared`), so their granian main processes stay small.

The programs start together under supervisord, so this runs under a lock in the data dir:
one process migrates and generates the password, the others then find both done. A
database server (`ws://`) that is not up yet is waited for with backoff; a migration that
fails stops the program with a message that says so (exit status 3), and supervisord's
`startretries` keeps that from becoming a restart loop.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from flowstead.services.auth import InstancePassword, instance_password
from flowstead.settings import Settings
from flowstead.store import Store, open_store

log = logging.getLogger("flowstead.startup")

DATABASE_WAIT_SECONDS = 60.0
FIRST_DELAY = 0.1
MAX_DELAY = 5.0
EXIT_STARTUP_FAILED = 3


class StartupFailed(Exception):
    """The program cannot start; the message says why, for a person to read."""


def shown_url(database_url: str) -> str:
    """The database URL with any password in it masked."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def run_dir(data_dir: Path) -> Path:
    """Runtime files (locks, sockets, pid); never backed up."""
    return data_dir / "run"


@contextmanager
def startup_lock(data_dir: Path) -> Iterator[None]:
    directory = run_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(directory / "startup.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unreachable_errors(database_url: str) -> tuple[type[BaseException], ...]:
    if not database_url.startswith(("ws://", "wss://")):
        return ()  # an embedded database is there or it is not: nothing to wait for
    import aiohttp  # under the SurrealDB SDK; loaded only for a server URL

    return (OSError, TimeoutError, aiohttp.ClientError)


async def open_when_reachable(
    settings: Settings,
    *,
    wait_seconds: float = DATABASE_WAIT_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    log: IO[str] | None = None,
) -> Store:
    """Open the store (applying migrations), waiting with backoff for a database server."""
    retry_on = _unreachable_errors(settings.database_url)
    deadline = clock() + wait_seconds
    delay = FIRST_DELAY
    url = shown_url(settings.database_url)
    while True:
        try:
            return await open_store(settings.database_url, settings.data_dir)
        except retry_on as exc:
            if clock() + delay > deadline:
                raise StartupFailed(
                    f"the database at {url} did not answer within {wait_seconds:.0f} s"
                    f" ({type(exc).__name__}: {exc})"
                ) from exc
            print(
                f"flowstead: waiting for the database at {url} ({type(exc).__name__})",
                file=log or sys.stderr,
                flush=True,
            )
            await sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
        except Exception as exc:
            raise StartupFailed(
                f"the database at {url} could not be opened or migrated"
                f" ({type(exc).__name__}: {exc})"
            ) from exc


async def open_prepared(
    settings: Settings, *, out: IO[str] | None = None
) -> tuple[Store, InstancePassword]:
    """For a server's lifespan: the store (waited for, migrated) and the instance password,
    under the data dir's startup lock; a failure is logged with its reason and raised."""
    fd = await asyncio.to_thread(_lock, settings.data_dir)
    try:
        store = await open_when_reachable(settings)
        try:
            return store, await instance_password(settings, store, out)
        except BaseException:
            await store.close()
            raise
    except StartupFailed as exc:
        log.error(f"cannot start: {exc}")
        raise
    finally:
        os.close(fd)  # releases the lock


def _lock(data_dir: Path) -> int:
    """The data dir's startup lock, held until the returned descriptor is closed."""
    directory = run_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(directory / "startup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


async def prepare(settings: Settings, *, out: IO[str] | None = None) -> None:
    """Migrations applied and the instance password in place (see the module docstring)."""
    store = await open_when_reachable(settings)
    try:
        await instance_password(settings, store, out)
    finally:
        await store.close()


def prepare_or_exit(settings: Settings, *, out: IO[str] | None = None) -> None:
    """`prepare` under the data dir's lock; a failure ends the process with its message."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with startup_lock(settings.data_dir):
            asyncio.run(prepare(settings, out=out))
    except StartupFailed as exc:
        print(f"flowstead: cannot start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_STARTUP_FAILED) from None

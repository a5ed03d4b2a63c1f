"""Push-like wake-ups between Flowstead processes on one machine.

Every process binds one Unix datagram socket in `<data_dir>/run/notify/`. `publish(topic)`
sends the topic's name to every socket there (removing the files of dead processes) and
wakes this process's own subscribers directly. Datagrams can be lost (a full buffer, a
listener that started a moment too late), so a subscriber re-checks the store on every
wake and on a slow fallback timer: a wake-up says "look now", never what changed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)

JOBS = "jobs"
# Longer socket paths do not fit `sockaddr_un`; those are reached through the directory's fd.
_MAX_PATH = 100
_MAX_TOPIC = 200


def run_topic(run_id: str) -> str:
    """Published after new events of the run were stored."""
    return f"run:{run_id}"


def stop_topic(run_id: str) -> str:
    """Published after a stop of the run was requested."""
    return f"stop:{run_id}"


def notify_dir(data_dir: Path) -> Path:
    return data_dir / "run" / "notify"


class Subscription:
    """Wakes for one topic; a publication while nobody waits is kept until the next wait."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    async def wait(self, seconds: float) -> bool:
        """Until the topic is published or `seconds` pass; True if it was published."""
        try:
            async with asyncio.timeout(seconds):
                await self._woken.wait()
        except TimeoutError:
            return False
        self._woken.clear()
        return True


class Notifier:
    """This process's end of the notification directory; use it with `async with`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._name = f"{os.getpid()}-{secrets.token_hex(6)}.sock"
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._dir_fd: int | None = None
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Notifier:
        return cls(notify_dir(data_dir))

    async def start(self) -> None:
        """Bind this process's socket and start receiving. Where the file system refuses
        socket files, other processes are not woken: everyone falls back to slow checks."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._dir_fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind(self._address(self._name))
        except OSError as exc:
            sock.close()
            log.warning(
                "no notifications between processes (%s): runs are noticed by slow checks",
                exc,
                extra={"directory": str(self.directory)},
            )
            return
        except BaseException:
            sock.close()
            raise
        self._socket = sock
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._receive)

    async def close(self) -> None:
        if self._socket is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._socket.fileno())
            self._socket.close()
            self._socket = None
            self._unlink(self._name)
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def publish(self, topic: str) -> None:
        """Wake every subscriber of `topic`, in this process and in the others."""
        if self._dir_fd is None:
            raise RuntimeError("the notifier is not started")
        payload = topic.encode()
        if len(payload) > _MAX_TOPIC:
            raise ValueError(f"topic too long: {topic[:40]}…")
        self._dispatch(topic)
        if self._socket is None:
            return
        for entry in os.scandir(self._dir_fd):
            if entry.name == self._name or not entry.name.endswith(".sock"):
                continue
            try:
                self._socket.sendto(payload, self._address(entry.name))
            except ConnectionRefusedError:
                self._unlink(entry.name)  # its process is gone
            except (BlockingIOError, FileNotFoundError):
                pass  # a full buffer or a listener that just left: it re-checks anyway
            except OSError as exc:
                log.debug("notification to %s failed: %s", entry.name, exc)

    @contextmanager
    def subscribe(self, topic: str) -> Iterator[Subscription]:
        """A subscription for the block; subscribe before reading the state it guards."""
        subscription = Subscription(topic)
        self._subscriptions.setdefault(topic, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscriptions.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscriptions[topic]

    async def wait(self, topic: str, seconds: float) -> bool:
        """Wait for one publication of `topic`; True if it came within `seconds`."""
        with self.subscribe(topic) as subscription:
            return await subscription.wait(seconds)

    def _receive(self) -> None:
        assert self._socket is not None
        while True:
            try:
                payload = self._socket.recv(_MAX_TOPIC + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("notification socket failed: %s", exc)
                return
            self._dispatch(payload.decode(errors="replace"))

    def _dispatch(self, topic: str) -> None:
        for subscription in self._subscriptions.get(topic, ()):
            subscription.wake()

    def _address(self, name: str) -> str:
        path = str(self.directory / name)
        if len(path.encode()) <= _MAX_PATH:
            return path
        return f"/proc/self/fd/{self._dir_fd}/{name}"

    def _unlink(self, name: str) -> None:
        with suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self._dir_fd)

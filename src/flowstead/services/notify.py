"""Push-like wake-ups between Flowstead processes on one machine.

Every process binds one Unix datagram socket in `<data_dir>/run/notify/`.
`publish(topic)` wakes this process's own subscribers directly and sends the topic to
every socket there (removing the files of dead processes); topics published after it in
the same turn of the event loop follow at the next turn, gathered into one datagram.
A receiver's queue holds only a few datagrams (`net.unix.max_dgram_qlen`, often 10): when
it is full, the topics for that receiver wait, gathered, and are sent again after a short
pause, and again until they get through or a second has passed. A subscriber still
re-checks the store on every wake and on a slow fallback timer: a wake-up says "look now",
never what changed, and one can still be lost (a listener that started a moment too late).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)

JOBS = "jobs"
# Wakes every subscriber: sent instead of a list of topics too long for one datagram.
EVERYTHING = "*"
# Longer socket paths do not fit `sockaddr_un`; those are reached through the directory's fd.
_MAX_PATH = 100
_MAX_TOPIC = 200
_MAX_DATAGRAM = 16_384
_SEPARATOR = "\n"
# Pauses before sending again to a full receiver (seconds), then the topics are dropped.
_RETRY_FIRST = 0.0005
_RETRY_MAX = 0.05
_RETRY_FOR = 1.0
# A listing of the directory is trusted while its mtime is unchanged and old enough that
# a socket bound in the same clock tick would have changed it.
_LISTING_SETTLED_NS = 100_000_000


def run_topic(run_id: str) -> str:
    """Published after new events of the run were stored."""
    return f"run:{run_id}"


def done_topic(run_id: str) -> str:
    """Published after the run's end was stored."""
    return f"done:{run_id}"


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


class _Backlog:
    """Topics waiting for a receiver whose queue was full."""

    def __init__(self) -> None:
        self.topics: set[str] = set()
        self.pause = _RETRY_FIRST
        self.give_up_at = time.monotonic() + _RETRY_FOR


class Notifier:
    """This process's end of the notification directory; use it with `async with`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._name = f"{os.getpid()}-{secrets.token_hex(6)}.sock"
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._dir_fd: int | None = None
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._peers: list[str] = []
        self._addresses: dict[str, str] = {}
        self._outbox: set[str] | None = None
        self._listed_mtime_ns = -1
        self._backlogs: dict[str, _Backlog] = {}
        self._retries: set[asyncio.TimerHandle] = set()

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Notifier:
        return cls(notify_dir(data_dir))

    async def start(self) -> None:
        """Bind this process's socket and start receiving (the socket file also tells that
        the process is alive: restores refuse to run under one). Where the file system
        refuses socket files, other processes are not woken: everyone falls back to slow
        checks."""
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
        self._send_outbox()
        for handle in self._retries:
            handle.cancel()
        self._retries.clear()
        self._backlogs.clear()
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

    def publish(self, *topics: str) -> None:
        """Wake every subscriber of each topic, in this process and in the others."""
        if self._dir_fd is None:
            raise RuntimeError("the notifier is not started")
        for topic in topics:
            if len(topic.encode()) > _MAX_TOPIC:
                raise ValueError(f"topic too long: {topic[:40]}…")
            if _SEPARATOR in topic:
                raise ValueError("a topic is one line")
        for topic in topics:
            self._dispatch(topic)
        if self._socket is None or not topics:
            return
        if self._outbox is not None:  # some went out this turn: gather the rest
            self._outbox.update(topics)
            return
        # Sent at once, and what else is published before the event loop's next turn
        # goes out then, as one datagram per receiver (many runs' events under load).
        self._send_all(set(topics))
        self._outbox = set()
        assert self._loop is not None
        self._loop.call_soon(self._send_outbox)

    def _send_outbox(self) -> None:
        topics, self._outbox = self._outbox, None
        if topics:
            self._send_all(topics)

    def _send_all(self, topics: set[str]) -> None:
        if self._socket is None:
            return
        payload = _payload(topics)
        for peer in self._list_peers():
            backlog = self._backlogs.get(peer)
            if backlog is not None:  # already waiting for this receiver: join the queue
                backlog.topics |= topics
            elif not self._send(peer, payload):
                self._defer(peer, topics)

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

    def _list_peers(self) -> list[str]:
        """The socket files of the other processes (the listing is kept while the
        directory is unchanged)."""
        assert self._dir_fd is not None
        mtime_ns = os.fstat(self._dir_fd).st_mtime_ns
        if mtime_ns != self._listed_mtime_ns or time.time_ns() - mtime_ns < _LISTING_SETTLED_NS:
            self._peers = [
                entry.name
                for entry in os.scandir(self._dir_fd)
                if entry.name != self._name and entry.name.endswith(".sock")
            ]
            self._addresses = {
                peer: address for peer, address in self._addresses.items() if peer in self._peers
            }
            self._listed_mtime_ns = mtime_ns
        return self._peers

    def _send(self, peer: str, payload: bytes) -> bool:
        """Send one datagram; False if the receiver's queue is full (try again later)."""
        assert self._socket is not None
        try:
            self._socket.sendto(payload, self._address(peer))
        except BlockingIOError:
            return False
        except ConnectionRefusedError:
            self._unlink(peer)  # its process is gone
        except FileNotFoundError:
            pass  # a listener that just left
        except OSError as exc:
            log.debug("notification to %s failed: %s", peer, exc)
        return True

    def _defer(self, peer: str, topics: set[str]) -> None:
        backlog = self._backlogs.setdefault(peer, _Backlog())
        backlog.topics |= topics
        self._schedule(peer, backlog)

    def _schedule(self, peer: str, backlog: _Backlog) -> None:
        assert self._loop is not None

        def retry() -> None:
            self._retries.discard(handle)
            self._retry(peer)

        handle = self._loop.call_later(backlog.pause, retry)
        self._retries.add(handle)

    def _retry(self, peer: str) -> None:
        backlog = self._backlogs.get(peer)
        if backlog is None or self._socket is None:
            return
        if self._send(peer, _payload(backlog.topics)):
            del self._backlogs[peer]
        elif time.monotonic() > backlog.give_up_at:
            del self._backlogs[peer]  # its subscribers find out on their slow checks
            log.debug("notifications to %s dropped: its queue stayed full", peer)
        else:
            backlog.pause = min(backlog.pause * 2, _RETRY_MAX)
            self._schedule(peer, backlog)

    def _receive(self) -> None:
        assert self._socket is not None
        while True:
            try:
                payload = self._socket.recv(_MAX_DATAGRAM + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("notification socket failed: %s", exc)
                return
            for topic in payload.decode(errors="replace").split(_SEPARATOR):
                self._dispatch(topic)

    def _dispatch(self, topic: str) -> None:
        if topic == EVERYTHING:
            for subscriptions in self._subscriptions.values():
                for subscription in subscriptions:
                    subscription.wake()
            return
        for subscription in self._subscriptions.get(topic, ()):
            subscription.wake()

    def _address(self, name: str) -> str:
        address = self._addresses.get(name)
        if address is None:
            address = str(self.directory / name)
            if len(address.encode()) > _MAX_PATH:
                address = f"/proc/self/fd/{self._dir_fd}/{name}"
            self._addresses[name] = address
        return address

    def _unlink(self, name: str) -> None:
        with suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self._dir_fd)


def _payload(topics: set[str]) -> bytes:
    """The topics as one datagram, or `EVERYTHING` when they would not fit."""
    payload = _SEPARATOR.join(sorted(topics)).encode()
    return payload if len(payload) <= _MAX_DATAGRAM else EVERYTHING.encode()

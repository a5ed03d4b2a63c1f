from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

from flowstead.services.notify import EVERYTHING, JOBS, Notifier, run_topic


async def test_a_publication_wakes_another_notifier(tmp_path: Path) -> None:
    async with Notifier(tmp_path) as listener, Notifier(tmp_path) as publisher:
        with listener.subscribe(JOBS) as jobs, listener.subscribe(run_topic("r1")) as run:
            publisher.publish(JOBS)
            assert await jobs.wait(5)
            assert not await run.wait(0.05)


async def test_a_publication_wakes_subscribers_in_the_same_process(tmp_path: Path) -> None:
    async with Notifier(tmp_path) as notifier:
        with notifier.subscribe("stop:r1") as first, notifier.subscribe("stop:r1") as second:
            notifier.publish("stop:r1")
            assert await first.wait(5)
            assert await second.wait(5)


async def test_a_publication_while_nobody_waits_is_kept_for_the_next_wait(tmp_path: Path) -> None:
    async with Notifier(tmp_path) as listener, Notifier(tmp_path) as publisher:
        with listener.subscribe(JOBS) as jobs:
            publisher.publish(JOBS)
            await listener.wait("something else", 0.05)  # the datagram arrives meanwhile
            assert await jobs.wait(0)
            assert not await jobs.wait(0.05)


async def test_the_socket_of_a_dead_process_is_removed(tmp_path: Path) -> None:
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(tmp_path / "1-dead.sock"))
    dead.close()  # the file stays, nobody reads it: like a SIGKILLed process
    async with Notifier(tmp_path) as notifier:
        notifier.publish(JOBS)
    assert not (tmp_path / "1-dead.sock").exists()
    assert os.listdir(tmp_path) == []  # closing removes the notifier's own socket


async def test_a_directory_too_deep_for_a_socket_path_still_works(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*(["d" * 30] * 4))
    async with Notifier(deep) as listener, Notifier(deep) as publisher:
        with listener.subscribe(JOBS) as jobs:
            publisher.publish(JOBS)
            assert await jobs.wait(5)


async def test_publish_needs_a_started_notifier(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not started"):
        Notifier(tmp_path).publish(JOBS)


async def test_without_a_socket_only_this_process_is_woken(tmp_path: Path) -> None:
    notifier = Notifier(tmp_path)
    (tmp_path / notifier._name).write_text("in the way")  # bind() fails on an existing file
    async with notifier, Notifier(tmp_path) as other:
        with notifier.subscribe(JOBS) as here, other.subscribe(JOBS) as there:
            notifier.publish(JOBS)
            assert await here.wait(5)
            assert not await there.wait(0.05)


async def test_the_first_topic_goes_out_at_once_the_rest_of_the_turn_together(
    tmp_path: Path,
) -> None:
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(tmp_path / "1-peer.sock"))
    receiver.setblocking(False)
    try:
        async with Notifier(tmp_path) as publisher:
            publisher.publish(run_topic("r1"), run_topic("r0"))
            assert sorted(receiver.recv(65536).split(b"\n")) == [b"run:r0", b"run:r1"]
            publisher.publish(run_topic("r2"))
            publisher.publish(run_topic("r3"))
            publisher.publish(run_topic("r2"))
            with pytest.raises(BlockingIOError):
                receiver.recv(65536)
            await asyncio.sleep(0)
            datagram = receiver.recv(65536)
            assert sorted(datagram.decode().split("\n")) == ["run:r2", "run:r3"]
            with pytest.raises(BlockingIOError):
                receiver.recv(65536)
    finally:
        receiver.close()


async def test_a_full_receiver_gets_every_topic_once_it_reads_again(tmp_path: Path) -> None:
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(tmp_path / "1-peer.sock"))
    receiver.setblocking(False)
    published = {run_topic(f"r{n}") for n in range(200)}
    try:
        async with Notifier(tmp_path) as publisher:
            for topic in sorted(published):  # one turn each: one datagram each
                publisher.publish(topic)
                await asyncio.sleep(0)
            received: set[str] = set()
            async with asyncio.timeout(5):
                while not (published <= received or "*" in received):
                    try:
                        received |= set(receiver.recv(65536).decode().split("\n"))
                    except BlockingIOError:
                        await asyncio.sleep(0.001)
    finally:
        receiver.close()


async def test_everything_wakes_every_subscriber(tmp_path: Path) -> None:
    async with Notifier(tmp_path) as listener:
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            with listener.subscribe(JOBS) as jobs, listener.subscribe(run_topic("r1")) as run:
                sender.sendto(EVERYTHING.encode(), str(tmp_path / listener._name))
                assert await jobs.wait(5)
                assert await run.wait(5)
        finally:
            sender.close()

"""What each program does before it serves: migrations, the password, waiting for a
database server, and saying so clearly when it cannot."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from flowstead.appliance.startup import (
    EXIT_STARTUP_FAILED,
    StartupFailed,
    open_when_reachable,
    prepare,
    prepare_or_exit,
    shown_url,
    startup_lock,
)
from flowstead.services.auth import PASSWORD_HASH_KEY, check_password_hash
from flowstead.settings import Settings
from flowstead.store import open_store
from tests.integration.api.processes import flowstead_command, free_port


async def test_the_password_is_generated_printed_once_and_kept_hashed(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path)
    first, second = io.StringIO(), io.StringIO()
    await prepare(settings, out=first)
    await prepare(settings, out=second)
    printed = first.getvalue()
    assert "shown only this once" in printed
    password = printed.rsplit(": ", 1)[1].strip()
    assert second.getvalue() == ""
    async with await open_store(settings.database_url, tmp_path) as store:
        stored = await store.meta.get(PASSWORD_HASH_KEY)
    assert stored is not None
    assert password not in stored
    assert check_password_hash(password, stored)


def test_programs_starting_together_make_one_password(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path)
    outputs = [io.StringIO() for _ in range(3)]
    threads = [
        threading.Thread(target=prepare_or_exit, args=(settings,), kwargs={"out": out})
        for out in outputs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("shown only this once" in out.getvalue() for out in outputs) == 1


async def test_a_database_server_that_never_answers_is_named(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        settings = Settings.from_env(
            {}, data_dir=tmp_path, database_url=f"ws://root:s3cret@127.0.0.1:{port}"
        )
        waits: list[float] = []
        now = [0.0]

        async def sleep(seconds: float) -> None:
            waits.append(seconds)
            now[0] += seconds

        with pytest.raises(StartupFailed) as caught:
            await open_when_reachable(
                settings, wait_seconds=10, sleep=sleep, clock=lambda: now[0], log=io.StringIO()
            )
    message = str(caught.value)
    assert f"ws://root:***@127.0.0.1:{port}" in message
    assert "s3cret" not in message
    assert "did not answer within 10 s" in message
    assert waits[:4] == [0.1, 0.2, 0.4, 0.8]  # backoff, doubling
    assert max(waits) <= 5.0


def test_a_failed_migration_stops_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "flowstead.db").write_bytes(b"this is not a database" * 100)
    settings = Settings.from_env({}, data_dir=tmp_path, password="pw")
    with pytest.raises(SystemExit) as caught:
        prepare_or_exit(settings)
    assert caught.value.code == EXIT_STARTUP_FAILED
    err = capsys.readouterr().err
    assert "flowstead: cannot start: the database at sqlite://" in err
    assert "could not be opened or migrated" in err


def test_urls_without_a_password_are_shown_as_they_are() -> None:
    assert shown_url("sqlite:////data/flowstead.db") == "sqlite:////data/flowstead.db"
    assert shown_url("wss://u:p@db.example:8000/ns/db") == "wss://u:***@db.example:8000/ns/db"


def test_the_startup_lock_is_exclusive(tmp_path: Path) -> None:
    order: list[str] = []
    entered = threading.Event()

    def second() -> None:
        entered.wait()
        with startup_lock(tmp_path):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with startup_lock(tmp_path):
        entered.set()
        threading.Event().wait(0.2)
        order.append("first")
    thread.join()
    assert order == ["first", "second"]


async def test_a_server_with_a_broken_database_does_not_start(tmp_path: Path) -> None:
    from litestar.testing import AsyncTestClient

    from flowstead.api.app import create_app

    (tmp_path / "flowstead.db").write_bytes(b"this is not a database" * 100)
    settings = Settings.from_env({}, data_dir=tmp_path, password="pw")
    with pytest.RaisesGroup(
        pytest.RaisesExc(StartupFailed, match="could not be opened or migrated"),
        flatten_subgroups=True,
    ):
        async with AsyncTestClient(create_app(settings)):
            pass


def test_flowstead_api_with_a_broken_database_exits_with_the_reason(tmp_path: Path) -> None:
    """The real program, granian embedded: the lifespan fails, the process ends with 3."""
    (tmp_path / "flowstead.db").write_bytes(b"this is not a database" * 100)
    env = {
        **os.environ,
        "FLOWSTEAD_DATA_DIR": str(tmp_path),
        "FLOWSTEAD_PASSWORD": "pw",
        "FLOWSTEAD_HOST": "127.0.0.1",
        "FLOWSTEAD_API_PORT": str(free_port()),
    }
    env.pop("FLOWSTEAD_DATABASE_URL", None)
    result = subprocess.run(
        [*flowstead_command(), "api"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == EXIT_STARTUP_FAILED
    assert "could not be opened or migrated" in result.stdout

"""The real thing on loopback: `flowstead api` (granian) and `flowstead worker` as child
processes on one data dir, and a fake OpenAI server that streams in lock-step.

Used by the process tests and by `bench/bench_api.py`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.base import Exchange
from tests.fakes.chat import Wire
from tests.fakes.models import FakeModelServer

STARTUP_SECONDS = 30.0
GATE_SECONDS = 10.0
LOG_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def flowstead_command() -> list[str]:
    """The `flowstead` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("flowstead")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from flowstead.cli import main; sys.exit(main())"]


class Child:
    """A child process in its own session; its stdout lines are kept as they come."""

    def __init__(self, args: list[str], env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            args,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def json_lines(self) -> list[dict[str, Any]]:
        found = []
        for line in list(self.lines):
            with contextlib.suppress(ValueError):
                value = json.loads(line)
                if isinstance(value, dict):
                    found.append(value)
        return found

    def stop(self) -> None:
        """SIGTERM to its process group (granian's workers too), then wait."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def wait_for_line(self, **fields: Any) -> dict[str, Any]:
        """The first JSON log line with these fields, waiting while the process writes it."""
        deadline = time.monotonic() + LOG_SECONDS
        while True:
            for line in self.json_lines():
                if all(line.get(key) == value for key, value in fields.items()):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no log line with {fields}")
            time.sleep(0.01)


class Instance:
    """An api and a worker process sharing a data dir, reachable at `url`."""

    def __init__(self, data_dir: Path, password: str, extra_env: Mapping[str, str] = {}) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = password
        self.env = {
            **os.environ,
            "FLOWSTEAD_DATA_DIR": str(data_dir),
            "FLOWSTEAD_PASSWORD": password,
            "FLOWSTEAD_API_PORT": str(self.port),
            "FLOWSTEAD_HOST": "127.0.0.1",
            **extra_env,
        }
        self.api = Child([*flowstead_command(), "api"], self.env)
        self.worker = Child([*flowstead_command(), "worker"], self.env)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.password}"}

    def wait_ready(self) -> None:
        """Until `/ready` answers 200 (the database and a worker's heartbeat), or fail."""
        deadline = time.monotonic() + STARTUP_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            for child in (self.api, self.worker):
                if child.process.poll() is not None:
                    output = "\n".join(child.lines[-30:])
                    raise RuntimeError(f"{child.process.args} exited:\n{output}")
            try:
                response = httpx.get(f"{self.url}/ready", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.05)
        raise RuntimeError(f"the instance did not get ready: {last}")

    def stop(self) -> None:
        self.worker.stop()
        self.api.stop()


@contextlib.contextmanager
def running_instance(
    data_dir: Path, password: str, extra_env: Mapping[str, str] = {}
) -> Iterator[Instance]:
    instance = Instance(data_dir, password, extra_env)
    try:
        instance.wait_ready()
        yield instance
    finally:
        instance.stop()


class LockstepModelServer(FakeModelServer):
    """A fake OpenAI server whose streamed text waits, piece by piece, for `release()`.

    With `gated` on, the first text piece goes out at once and each later one only after
    the test saw the previous one arrive, so text that was held back anywhere between the
    model and the client would stall the stream (`stalled` counts waits that timed out)."""

    def __init__(self) -> None:
        super().__init__("openai")
        self.gated = False
        self.stalled = 0
        self._gate = threading.Semaphore(0)

    def release(self) -> None:
        self._gate.release()

    def reset(self, *, gated: bool) -> None:
        self.gated = gated
        self.stalled = 0
        self._gate = threading.Semaphore(0)

    def _chat(self, exchange: Exchange, wire: Wire) -> None:
        if not self.gated or not wire.wants_stream(exchange.request):
            return super()._chat(exchange, wire)
        answer = self.next_answer(exchange)
        frames = wire.frames(answer, exchange.request)  # type: ignore[arg-type]
        exchange.start_stream(wire.content_type)
        texts = 0
        for frame in frames:
            if b'"content": "' in frame and b'"content": ""' not in frame:
                if texts and not self._gate.acquire(timeout=GATE_SECONDS):
                    self.stalled += 1
                texts += 1
            exchange.write(frame)
        exchange.end_stream()

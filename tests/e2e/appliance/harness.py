"""The real appliance on loopback: supervisord with the repository's supervisord.conf (what
the image runs) or `flowstead up`, every program, free ports from the OS, a fresh data dir.

Shared by the appliance tests and `bench/bench_appliance.py`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from tests.integration.api.processes import Child, flowstead_command, free_port

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "supervisord.conf"
SCRIPTS = Path(sys.executable).parent
START_SECONDS = 60.0
STOP_SECONDS = 30.0


def program_env(data_dir: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The environment supervisord gets: loopback ports from the OS, SQLite in the data dir."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(SCRIPTS), os.environ.get("PATH", "")]),
        "PYTHONUNBUFFERED": "1",
        "FLOWSTEAD_DATA_DIR": str(data_dir),
        "FLOWSTEAD_HOST": "127.0.0.1",
        "FLOWSTEAD_API_PORT": str(free_port()),
        "FLOWSTEAD_WEB_PORT": str(free_port()),
        "FLOWSTEAD_EMBEDDED_DB": "false",
        # A killed worker's run is picked up again after this long.
        "FLOWSTEAD_JOB_LEASE_SECONDS": "3",
        **extra,
    }
    env.pop("FLOWSTEAD_DATABASE_URL", None)
    return env


def descendants(pid: int) -> set[int]:
    """Every process under `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def port_free(port: int) -> bool:
    """Nobody listens on the port, and a new server could bind it (as servers do, with
    SO_REUSEADDR, past closed connections in TIME_WAIT)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class Appliance:
    """supervisord (or `flowstead up`) and its programs on one data dir."""

    def __init__(self, data_dir: Path, env: Mapping[str, str], *, via_up: bool = False) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)  # as the image's /data volume is
        self.env = dict(env)
        self.api_url = f"http://127.0.0.1:{self.env['FLOWSTEAD_API_PORT']}"
        self.web_url = f"http://127.0.0.1:{self.env['FLOWSTEAD_WEB_PORT']}"
        self.ports = (int(self.env["FLOWSTEAD_API_PORT"]), int(self.env["FLOWSTEAD_WEB_PORT"]))
        command = (
            [*flowstead_command(), "up"]
            if via_up
            else [str(SCRIPTS / "supervisord"), "-c", str(CONFIG)]
        )
        self.started_at = time.monotonic()
        self.process = Child(command, self.env)

    @property
    def lines(self) -> list[str]:
        return self.process.lines

    def output(self) -> str:
        return "\n".join(self.process.lines)

    def wait_ready(self, url: str | None = None) -> float:
        """Until `/ready` answers 200; returns the seconds since the start."""
        deadline = time.monotonic() + START_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.process.poll() is not None:
                raise RuntimeError(f"supervisord exited:\n{self.output()[-4000:]}")
            try:
                reply = httpx.get(f"{url or self.web_url}/ready", timeout=2)
                if reply.status_code == 200:
                    return time.monotonic() - self.started_at
                last = reply.text
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.05)
        raise RuntimeError(f"not ready: {last}\n{self.output()[-4000:]}")

    def ctl(self, *args: str) -> str:
        result = subprocess.run(
            [str(SCRIPTS / "supervisorctl"), "-c", str(CONFIG), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout

    def status(self) -> dict[str, str]:
        return {
            line.split()[0]: line.split()[1] for line in self.ctl("status").splitlines() if line
        }

    def wait_running(self, *programs: str) -> dict[str, str]:
        """Until supervisord counts these programs as started (RUNNING once they have stayed
        up for their `startsecs`, which can be after `/ready` already answers 200)."""
        deadline = time.monotonic() + START_SECONDS
        while True:
            status = self.status()
            if all(status.get(program) == "RUNNING" for program in programs):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"not running: {status}\n{self.output()[-4000:]}")
            time.sleep(0.1)

    def pid(self, program: str) -> int:
        return int(self.ctl("pid", program).strip())

    def wait_restarted(self, program: str, old_pid: int) -> int:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(ValueError):
                pid = self.pid(program)
                if pid not in (0, old_pid) and self.status().get(program) == "RUNNING":
                    return pid
            time.sleep(0.1)
        raise AssertionError(f"{program} was not restarted:\n{self.output()[-4000:]}")

    def supervisord_pid(self) -> int:
        if "up" not in self.process.process.args:
            return self.process.process.pid
        return int((self.data_dir / "supervisord.pid").read_text())

    def terminate(self) -> tuple[set[int], int | None]:
        """SIGTERM to the top process; the processes that ran under it, and its exit status."""
        tree = descendants(self.process.process.pid)
        self.process.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.process.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        return tree, code

    def stop(self) -> None:
        """Tidy up whatever is left, by process group (supervisord's programs have their own)."""
        tree = descendants(self.process.process.pid)
        if self.process.process.poll() is None:
            self.terminate()
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.stop()

    def json_lines(self) -> list[dict[str, Any]]:
        found = []
        for line in list(self.lines):
            with contextlib.suppress(ValueError):
                value = json.loads(line)
                if isinstance(value, dict):
                    found.append(value)
        return found

    def wait_for_line(self, line: str) -> None:
        deadline = time.monotonic() + START_SECONDS
        while line not in self.lines:
            if time.monotonic() > deadline:
                raise AssertionError(f"no line {line!r}:\n{self.output()[-4000:]}")
            time.sleep(0.02)

    def printed_password(self) -> str | None:
        for line in self.lines:
            match = re.search(r"shown only this once\): (\S+)", line)
            if match:
                return match.group(1)
        return None


@contextlib.contextmanager
def running(data_dir: Path, env: Mapping[str, str], *, via_up: bool = False) -> Iterator[Appliance]:
    appliance = Appliance(data_dir, env, via_up=via_up)
    try:
        appliance.wait_ready()
        appliance.wait_ready(appliance.api_url)
        yield appliance
    finally:
        appliance.stop()

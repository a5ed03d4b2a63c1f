"""`flowstead up`: every program under supervisord, on this machine, with the repository's
`supervisord.conf` — the file the image runs — and the settings in its environment.

It applies migrations and makes the instance password first (printed here, once, when it
is generated), prints the URL once `/ready` answers, and on Ctrl-C or SIGTERM stops
supervisord, which stops the programs in order; runs still running are handed back and
resume on the next start.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import IO

from flowstead.appliance.startup import prepare_or_exit
from flowstead.settings import Settings, SettingsError
from flowstead.web.paths import ROOT

CONFIG = ROOT / "supervisord.conf"
READY_WAIT_SECONDS = 60.0
# sockaddr_un holds 108 bytes with the final NUL.
MAX_SOCKET_PATH = 107


def supervisord_executable() -> str:
    beside = Path(sys.executable).with_name("supervisord")
    return str(beside) if beside.exists() else "supervisord"


def browser_url(settings: Settings) -> str:
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.web_port}"


def supervisor_environment(settings: Settings) -> dict[str, str]:
    """What supervisord (and so every program) runs with: the settings, an absolute data
    dir, and this interpreter's scripts first on PATH."""
    env = settings.child_environment(PYTHONUNBUFFERED="1")
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in (scripts, env.get("PATH", "")) if p)
    return env


def _wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=2) as reply:
                if reply.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    return False


def up(settings: Settings, *, out: IO[str] | None = None) -> int:
    out = out or sys.stdout
    if not CONFIG.exists():
        raise SettingsError(f"{CONFIG} is missing: run flowstead up from a Flowstead checkout")
    settings = dataclasses.replace(settings, data_dir=settings.data_dir.resolve())
    socket_path = settings.data_dir / "supervisor.sock"
    if len(str(socket_path)) > MAX_SOCKET_PATH:
        raise SettingsError(
            f"FLOWSTEAD_DATA_DIR={str(settings.data_dir)!r} is too deep for supervisord's"
            f" control socket ({socket_path}); use a shorter path"
        )
    if not settings.embedded_db:
        # With a database server, it is one of the programs: the api waits for it instead.
        prepare_or_exit(settings, out=out)
    url = browser_url(settings)
    print(f"Flowstead is starting at {url} (data in {settings.data_dir})", file=out, flush=True)
    process = subprocess.Popen(
        [supervisord_executable(), "-c", str(CONFIG)],
        env=supervisor_environment(settings),
        start_new_session=True,  # signals reach it from here only, once
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if _wait_ready(url, process, READY_WAIT_SECONDS):
            print(f"Flowstead is ready: {url}", file=out, flush=True)
        elif process.poll() is None:
            print(f"Flowstead is not ready yet; see the log above ({url}/ready)", file=out)
        return process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait()

"""`flowstead db`: the SurrealDB server the image runs as supervisord's `db` program.

It serves the `ws://` FLOWSTEAD_DATABASE_URL on that URL's loopback host and port, keeps its
files in `<data dir>/surreal`, and takes its root user from the URL's credentials (passed
in the environment, so they never show in a process list).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flowstead.settings import Settings, SettingsError

SURREAL_DIR = "surreal"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ServerCommand:
    argv: list[str]
    env: dict[str, str]


def server_command(settings: Settings, executable: str = "surreal") -> ServerCommand:
    """The `surreal start` command line for the settings' database URL."""
    parts = urlsplit(settings.database_url)
    if parts.scheme != "ws" or parts.hostname not in LOOPBACK:
        raise SettingsError(
            "flowstead db serves FLOWSTEAD_DATABASE_URL=ws://user:pass@127.0.0.1:8000;"
            f" it is {parts.scheme or '(none)'}://… here, so there is nothing to serve"
            " (set FLOWSTEAD_EMBEDDED_DB=false)"
        )
    if not parts.username or not parts.password:
        raise SettingsError(
            "FLOWSTEAD_DATABASE_URL needs a user and password (ws://user:pass@127.0.0.1:8000)"
            " for the database server's root user"
        )
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    bind = f"[{host}]:{parts.port or 8000}" if ":" in host else f"{host}:{parts.port or 8000}"
    path = (settings.data_dir / SURREAL_DIR).resolve()
    return ServerCommand(
        argv=[executable, "start", "--log", "info", "--bind", bind, f"surrealkv://{path}"],
        env={"SURREAL_USER": unquote(parts.username), "SURREAL_PASS": unquote(parts.password)},
    )


def main(settings: Settings) -> int:
    executable = shutil.which("surreal")
    if executable is None:
        raise SettingsError("the SurrealDB server (`surreal`) is not on PATH")
    command = server_command(settings, executable)
    Path(command.argv[-1].removeprefix("surrealkv://")).mkdir(parents=True, exist_ok=True)
    os.execve(executable, command.argv, settings.child_environment(**command.env))

"""`flowstead api`: granian serving `app_factory` on the host and port from the settings.

Granian's own log lines go through the same JSON formatter as the app's.
"""

from __future__ import annotations

from typing import Any

from granian.constants import Interfaces
from granian.server import MPServer

from flowstead.settings import Settings

TARGET = "flowstead.api.app:app_factory"


def log_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for granian's process: JSON lines on stdout."""
    json_handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stdout",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "flowstead.logs.JsonFormatter"}},
        "handlers": {"json": json_handler},
        "loggers": {
            "_granian": {"handlers": ["json"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["json"], "level": level, "propagate": False},
        },
    }


def server(settings: Settings, *, workers: int = 1) -> MPServer:
    # Processes, as granian picks on a GIL build (the only kind Flowstead supports).
    return MPServer(
        TARGET,
        address=settings.host,
        port=settings.api_port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=workers,
        log_dictconfig=log_config(settings.log_level),
        log_access=False,  # the app writes one access line per request, with its id
    )


def main(settings: Settings, *, workers: int = 1) -> int:
    server(settings, workers=workers).serve()
    return 0

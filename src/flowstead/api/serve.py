"""`flowstead api`: granian serving the API app on the host and port from the settings.

With one worker (the default, and what supervisord runs) granian is embedded: it serves
from this very process, so there is no main process beside a worker — half the memory,
and no worker that could outlive its parent and keep the port. With `--workers N` granian
runs its usual main process and N worker processes (`app_factory`).

Granian's own log lines go through the same JSON formatter as the app's.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any

from granian.constants import Interfaces
from granian.errors import FatalError
from granian.server import MPServer
from granian.server.embed import Server as EmbeddedServer

from flowstead import logs
from flowstead.settings import Settings

TARGET = "flowstead.api.app:app_factory"
BACKLOG = 1024  # granian's default for its processes; the embedded server's is 128
EXIT_SERVER_FAILED = 1


class _QuietEmbedded(logging.Filter):
    """Drops granian's "experimental" warning: embedding is a choice made here, and a
    warning at every start would only worry whoever reads the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Embedded server is experimental!"


def log_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for granian's loggers: JSON lines on stdout."""
    json_handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["quiet_embedded"],
        "stream": "ext://sys.stdout",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "flowstead.logs.JsonFormatter"}},
        "filters": {"quiet_embedded": {"()": _QuietEmbedded}},
        "handlers": {"json": json_handler},
        "loggers": {
            "_granian": {"handlers": ["json"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["json"], "level": level, "propagate": False},
        },
    }


def server(settings: Settings, *, target: str, port: int, workers: int) -> MPServer:
    """granian's main process and `workers` worker processes, each building the app."""
    # Processes, as granian picks on a GIL build (the only kind Flowstead supports).
    return MPServer(
        target,
        address=settings.host,
        port=port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=workers,
        backlog=BACKLOG,
        log_dictconfig=log_config(settings.log_level),
        log_access=False,  # the app writes one access line per request, with its id
    )


def embedded(settings: Settings, app: Any, *, port: int) -> EmbeddedServer:
    """granian serving `app` from this process, on its running event loop."""
    return EmbeddedServer(
        app,
        address=settings.host,
        port=port,
        interface=Interfaces.ASGI,
        backlog=BACKLOG,
        log_dictconfig=log_config(settings.log_level),
        log_access=False,  # the app writes one access line per request, with its id
    )


async def serve_embedded(granian: EmbeddedServer) -> int:
    """Serve until SIGTERM or SIGINT; the exit status (3 when the app could not start)."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, granian.stop)
    try:
        await granian.serve()
    except FatalError:  # the lifespan failed; it has logged why
        from flowstead.appliance.startup import EXIT_STARTUP_FAILED

        return EXIT_STARTUP_FAILED
    return EXIT_SERVER_FAILED if granian.interrupt_children else 0


def run(
    settings: Settings, build: Callable[[], Any], *, target: str, port: int, workers: int
) -> int:
    """Serve the app `build` makes (embedded) or `target` names (in worker processes)."""
    if workers > 1:
        server(settings, target=target, port=port, workers=workers).serve()
        return 0
    logs.configure(settings.log_level)
    return asyncio.run(serve_embedded(embedded(settings, build(), port=port)))


def main(settings: Settings, *, workers: int = 1) -> int:
    def build() -> Any:
        from flowstead.api.app import create_app

        return create_app(settings)

    return run(settings, build, target=TARGET, port=settings.api_port, workers=workers)

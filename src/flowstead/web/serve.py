"""`flowstead web`: granian serving the web app (the API plus the canvas pages) on
FLOWSTEAD_WEB_PORT, with the same JSON logs as `flowstead api`."""

from __future__ import annotations

from granian.constants import Interfaces
from granian.server import MPServer

from flowstead.api.serve import log_config
from flowstead.settings import Settings

TARGET = "flowstead.web.app:app_factory"


def server(settings: Settings, *, workers: int = 1) -> MPServer:
    return MPServer(
        TARGET,
        address=settings.host,
        port=settings.web_port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=workers,
        log_dictconfig=log_config(settings.log_level),
        log_access=False,  # the app writes one access line per request, with its id
    )


def main(settings: Settings, *, workers: int = 1) -> int:
    server(settings, workers=workers).serve()
    return 0

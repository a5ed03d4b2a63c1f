"""`flowstead web`: granian serving the web app (the API plus the canvas pages) on
FLOWSTEAD_WEB_PORT, in this process as `flowstead api` does, with the same JSON logs."""

from __future__ import annotations

from typing import Any

from flowstead.api.serve import run
from flowstead.settings import Settings

TARGET = "flowstead.web.app:app_factory"


def main(settings: Settings, *, workers: int = 1) -> int:
    def build() -> Any:
        from flowstead.api.app import create_app

        return create_app(settings, web=True)

    return run(settings, build, target=TARGET, port=settings.web_port, workers=workers)

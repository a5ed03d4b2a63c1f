"""Logs: recent service log lines, filtered by source, level and text, colours kept."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from flowstead.web.deps import LogBufferDep, SettingsDep
from flowstead.web.logview import LEVELS, recent, sources
from flowstead.web.responses import is_htmx, page

AnyRequest = Request[Any, Any, Any]


class LogPages(Controller):
    path = "/logs"

    @get("/")
    async def logs(
        self,
        request: AnyRequest,
        settings: SettingsDep,
        log_buffer: LogBufferDep,
        source: FromQuery[str] = "",
        level: FromQuery[str] = "",
        q: FromQuery[str] = "",
    ) -> Template:
        lines = recent(log_buffer, settings.data_dir, source=source, level=level, search=q)
        template = "logs/_lines.html" if is_htmx(request) else "logs/index.html"
        return page(
            request,
            template,
            section="logs",
            lines=lines,
            sources=sources(log_buffer, settings.data_dir),
            levels=LEVELS,
            source=source,
            level=level,
            q=q,
        )

"""The web app: the API app plus the canvas pages, templates and static files.

granian --interface asgi --factory flowstead.web.app:app_factory
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from flowstead import logs
from flowstead.api.dify.files import FORM_OVERHEAD
from flowstead.api.session import require_login
from flowstead.settings import Settings
from flowstead.web.deps import dependencies
from flowstead.web.drafts import DraftEditor
from flowstead.web.errors import EXCEPTION_HANDLERS
from flowstead.web.logview import RingBuffer
from flowstead.web.pages.access import AccessPages
from flowstead.web.pages.chat import ChatPages
from flowstead.web.pages.editor import EditorPages
from flowstead.web.pages.knowledge import KnowledgePages
from flowstead.web.pages.logs import LogPages
from flowstead.web.pages.runs import RunPages, RunPanel
from flowstead.web.pages.settings import SettingsPages
from flowstead.web.pages.workflows import WorkflowPages
from flowstead.web.parts import WebParts
from flowstead.web.paths import STATIC
from flowstead.web.templating import environment

YEAR = 365 * 24 * 3600
MIB = 1024 * 1024


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect("/workflows", status_code=303)


def _pages(settings: Settings, drafts: DraftEditor, buffer: RingBuffer) -> Router:
    return Router(
        "/",
        guards=[require_login],
        route_handlers=[
            home,
            WorkflowPages,
            EditorPages,
            # The run form and the chat carry the files of the Start's file inputs (and a
            # chat message its attachments).
            Router(
                "/",
                route_handlers=[RunPanel, ChatPages],
                request_max_body_size=settings.max_upload_mb * MIB + FORM_OVERHEAD,
            ),
            AccessPages,
            RunPages,
            SettingsPages,
            KnowledgePages,
            LogPages,
        ],
        dependencies=dependencies(settings, drafts, buffer),
        exception_handlers=EXCEPTION_HANDLERS,
        include_in_schema=False,
    )


def _lifespan(
    drafts: DraftEditor, buffer: RingBuffer
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.drafts = drafts  # for tests and the benchmark; handlers get it injected
        with buffer.installed():
            yield

    return lifespan


def web_parts(settings: Settings) -> WebParts:
    drafts, buffer = DraftEditor(), RingBuffer()
    engine = JinjaTemplateEngine.from_environment(environment(settings.timezone))
    return WebParts(
        route_handlers=[
            create_static_files_router(
                "/static",
                [STATIC],
                name="static",
                include_in_schema=False,
                # Every page links them with `?v=<digest of their contents>`.
                cache_control=CacheControlHeader(max_age=YEAR, public=True, immutable=True),
            ),
            _pages(settings, drafts, buffer),
        ],
        template_config=TemplateConfig(instance=engine),
        lifespan=[_lifespan(drafts, buffer)],
    )


def app_factory() -> Litestar:
    """The entry for granian's worker processes (`flowstead web --workers N`, or granian's
    own command): settings from the environment, JSON logs on stdout."""
    from flowstead.api.app import create_app
    from flowstead.appliance.orphans import exit_with_parent

    exit_with_parent()  # a granian worker must not outlive its main process
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    return create_app(settings, web=True)

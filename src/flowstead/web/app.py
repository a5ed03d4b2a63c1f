"""The web app: the API app plus the canvas pages, templates and static files.

granian --interface asgi --factory flowstead.web.app:app_factory
"""

from __future__ import annotations

from litestar import Litestar
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from flowstead import logs
from flowstead.settings import Settings
from flowstead.web.parts import WebParts
from flowstead.web.paths import STATIC, TEMPLATES


def web_parts(settings: Settings) -> WebParts:
    return WebParts(
        route_handlers=[create_static_files_router("/static", [STATIC], name="static")],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
    )


def app_factory() -> Litestar:
    """The process entry for granian: settings from the environment, JSON logs on stdout."""
    from flowstead.api.app import create_app

    settings = Settings.from_env()
    logs.configure(settings.log_level)
    return create_app(settings, web=True)

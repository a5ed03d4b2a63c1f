"""The API application: `create_app(settings)` builds it and `flowstead api` serves it
(granian embedded in that process); `app_factory` is for granian's worker processes:

granian --interface asgi --factory flowstead.api.app:app_factory
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from flowstead import __version__, logs
from flowstead.api.admin.dify import DifyImportController
from flowstead.api.admin.files import FileController
from flowstead.api.admin.keys import AdminTokenController, AppKeyController
from flowstead.api.admin.knowledge import KnowledgeController, knowledge_lifespan
from flowstead.api.admin.providers import ProviderController
from flowstead.api.admin.runs import RunController
from flowstead.api.admin.workflows import VersionController, WorkflowController
from flowstead.api.auth import (
    Authenticator,
    BearerAdminToken,
    BearerPassword,
    provide_app_key,
    require_admin,
    require_app_key,
)
from flowstead.api.context import RequestContext
from flowstead.api.deps import DEPENDENCIES
from flowstead.api.dify.app import DifyAppController
from flowstead.api.dify.chat import (
    ChatMessageController,
    ConversationController,
    MessageController,
)
from flowstead.api.dify.feedback import FeedbackController
from flowstead.api.dify.files import FORM_OVERHEAD, DifyFileController
from flowstead.api.dify.variables import ConversationVariableController
from flowstead.api.dify.workflows import DifyWorkflowController
from flowstead.api.errors import EXCEPTION_HANDLERS
from flowstead.api.health import HealthController
from flowstead.api.login import LoginController, LoginLimiter
from flowstead.api.session import LoginRequired, SessionBackend, login_redirect, session_config
from flowstead.appliance.orphans import exit_with_parent
from flowstead.appliance.startup import open_prepared
from flowstead.providers.router import ProviderRouter
from flowstead.services.collaborators import StoredProviders
from flowstead.services.notify import Notifier
from flowstead.services.runs import RunService
from flowstead.services.uploads import UploadService
from flowstead.settings import Settings
from flowstead.web.parts import WebParts

MIB = 1024 * 1024


def _lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            store, password = await open_prepared(settings)
            stack.push_async_callback(store.close)
            notifier = await stack.enter_async_context(Notifier.for_data_dir(settings.data_dir))
            providers = StoredProviders(store)
            app.state.router = await stack.enter_async_context(
                ProviderRouter(providers.config, providers.secret)
            )
            app.state.runs = RunService(store, notifier)
            max_upload = settings.max_upload_mb * MIB
            app.state.uploads = UploadService(store, settings.data_dir, max_upload)
            app.state.notifier = notifier
            app.state.store = store
            app.state.migrated = True  # open_store applies pending migrations or fails
            app.state.worker_fresh_seconds = settings.job_lease_seconds
            app.state.password = password
            app.state.login_limiter = limiter = LoginLimiter()
            app.state.auth = Authenticator(
                store,
                [BearerAdminToken(store), BearerPassword(password, limiter), SessionBackend()],
            )
            yield

    return lifespan


def _uploads(controller: type, settings: Settings) -> Router:
    """The upload routes, whose body may be a form's worth larger than the largest file
    (the rest of the API takes bodies up to FLOWSTEAD_MAX_UPLOAD_MB)."""
    limit = settings.max_upload_mb * MIB + FORM_OVERHEAD
    return Router("/", route_handlers=[controller], request_max_body_size=limit)


def _admin_router(settings: Settings) -> Router:
    return Router(
        "/api",
        guards=[require_admin],
        route_handlers=[
            WorkflowController,
            DifyImportController,
            VersionController,
            AppKeyController,
            AdminTokenController,
            RunController,
            ProviderController,
            KnowledgeController,
            _uploads(FileController, settings),
        ],
        tags=["admin"],
        security=[{"bearer": []}],
    )


def _app_router(settings: Settings) -> Router:
    return Router(
        "/v1",
        guards=[require_app_key],
        dependencies={"app_key": Provide(provide_app_key, sync_to_thread=False)},
        route_handlers=[
            DifyWorkflowController,
            ChatMessageController,
            ConversationController,
            ConversationVariableController,
            MessageController,
            FeedbackController,
            DifyAppController,
            _uploads(DifyFileController, settings),
        ],
        security=[{"bearer": []}],
    )


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Flowstead API",
        version=__version__,
        description="Admin API under /api, Dify-compatible app API under /v1.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="/api: the instance password or an admin token (fst-…);"
                    " /v1: an app key (app-…).",
                )
            }
        ),
    )


def create_app(settings: Settings, *, web: bool = False) -> Litestar:
    """The API app; with `web`, also the canvas pages, templates and static files
    (what `flowstead web` serves on FLOWSTEAD_WEB_PORT)."""
    cors = (
        CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
        if settings.cors_origins
        else None
    )
    handlers: list[Any] = [
        HealthController,
        LoginController,
        _admin_router(settings),
        _app_router(settings),
    ]
    parts = WebParts()
    if web:
        from flowstead.web.app import web_parts  # the API app alone never loads the web

        parts = web_parts(settings)
    app = Litestar(
        route_handlers=[*handlers, *parts.route_handlers],
        template_config=parts.template_config,
        plugins=parts.plugins,
        dependencies=DEPENDENCIES,
        lifespan=[_lifespan(settings), knowledge_lifespan(settings), *parts.lifespan],
        exception_handlers={**EXCEPTION_HANDLERS, LoginRequired: login_redirect},
        middleware=[session_config(settings.data_dir).middleware],
        cors_config=cors,
        openapi_config=_openapi(),
        request_max_body_size=settings.max_upload_mb * MIB,
        state=State({"max_body_bytes": settings.max_upload_mb * MIB}),
        logging_config=None,
    )
    app.asgi_handler = RequestContext(app.asgi_handler)
    if settings.trusted_proxies:
        # The client a trusted proxy forwards for becomes the request's client (and
        # X-Forwarded-Proto its scheme), for everything after: logs, the login limit.
        from granian.utils.proxies import wrap_asgi_with_proxy_headers

        app.asgi_handler = wrap_asgi_with_proxy_headers(
            app.asgi_handler, list(settings.trusted_proxies)
        )
    return app


def app_factory() -> Litestar:
    """The entry for granian's worker processes (`flowstead api --workers N`, or granian's
    own command): settings from the environment, JSON logs on stdout."""
    exit_with_parent()  # a granian worker must not outlive its main process
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    return create_app(settings)

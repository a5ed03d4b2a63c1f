"""Routes of Dify's chat apps answer Dify's 400 `not_chat_app` when the app key belongs to
a workflow-mode app (rather than a 404 for a conversation such an app never has)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from flowstead.api.errors import ApiError
from flowstead.store.protocol import Store
from flowstead.store.records import ApiKey


async def chat_app_only(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """After `require_app_key`: the key's workflow must be a chat workflow."""
    key: ApiKey = connection.scope["auth"]
    store: Store = connection.app.state.store
    workflow = await store.workflows.get(key.workflow_id)
    if workflow is not None and workflow.mode != "chat":
        raise ApiError(
            400,
            f"This app runs in {workflow.mode} mode; conversations and messages belong to"
            " chat apps.",
            code="not_chat_app",
        )

"""`/v1/parameters`, `/v1/info`, `/v1/meta`: what a Dify client asks about the app."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.datastructures import State

from flowstead.api.deps import AppKeyDep, StoreDep
from flowstead.api.dify import shapes
from flowstead.dsl.document import from_data
from flowstead.services import workflows

MIB = 1024 * 1024


class DifyAppController(Controller):
    path = "/"
    tags = ("dify: app",)

    @get("/parameters", summary="The input form and features of the published workflow")
    async def app_parameters(
        self, app_key: AppKeyDep, store: StoreDep, state: State
    ) -> dict[str, Any]:
        _workflow, version = await workflows.published(store, app_key.workflow_id)
        return shapes.parameters(from_data(version.document), state.max_body_bytes // MIB)

    @get("/info", summary="The app's name, description and mode")
    async def app_info(self, app_key: AppKeyDep, store: StoreDep) -> dict[str, Any]:
        workflow, version = await workflows.published(store, app_key.workflow_id)
        return shapes.info(workflow, version.mode)

    @get("/meta", summary="Tool icons (none in Flowstead)")
    async def app_meta(self, app_key: AppKeyDep) -> dict[str, Any]:
        return {"tool_icons": {}}

"""`/v1/workflows/*`: run the published workflow, read a run, stop a task (Dify's routes)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from flowstead.api.deps import AppKeyDep, RunsDep, StoreDep
from flowstead.api.dify import shapes
from flowstead.api.dify.deps import APP_CALL, AppCallDep
from flowstead.api.dify.schemas import StopRequest, WorkflowRunRequest
from flowstead.api.dify.streams import run_stream
from flowstead.api.errors import ApiError
from flowstead.services import run_views


class DifyWorkflowController(Controller):
    path = "/workflows"
    tags = ("dify: workflow app",)

    @post(
        "/run",
        status_code=200,
        summary="Run the published workflow (blocking or streaming)",
        dependencies=APP_CALL,
    )
    async def run(self, data: JSONBody[WorkflowRunRequest], call: AppCallDep) -> Response[Any]:
        run = await call.runs.start_run(
            call.key.workflow_id,
            inputs=data.inputs,
            user=data.user,
            mode="workflow",
            files=data.files,
        )
        if data.response_mode == "streaming":
            return run_stream(call.store, call.runs, run)
        finished = await call.runs.wait(run.id)
        if finished is None:
            raise ApiError(500, "The run disappeared before it finished.")
        return Response(shapes.blocking_workflow(finished))

    @get("/run/{workflow_run_id:str}", summary="A workflow run's status and outputs")
    async def detail(
        self, workflow_run_id: FromPath[str], app_key: AppKeyDep, store: StoreDep
    ) -> dict[str, Any]:
        run = await run_views.get_run(store, workflow_run_id, workflow_id=app_key.workflow_id)
        return shapes.run_detail(run)

    @post("/tasks/{task_id:str}/stop", status_code=200, summary="Stop a running task")
    async def stop(
        self,
        task_id: FromPath[str],
        data: JSONBody[StopRequest],
        app_key: AppKeyDep,
        store: StoreDep,
        runs: RunsDep,
    ) -> dict[str, str]:
        await run_views.get_run(store, task_id, workflow_id=app_key.workflow_id)
        await runs.stop_run(task_id)
        return {"result": "success"}

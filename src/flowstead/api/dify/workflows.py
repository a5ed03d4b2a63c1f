"""`/v1/workflows/*`: run the published workflow, read a run, stop a task (Dify's routes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from flowstead.api.deps import AppKeyDep, RunsDep, StoreDep
from flowstead.api.dify import shapes
from flowstead.api.dify.deps import APP_CALL, AppCallDep
from flowstead.api.dify.schemas import StopRequest, WorkflowRunRequest
from flowstead.api.dify.streams import run_stream
from flowstead.api.errors import ApiError
from flowstead.services import run_logs, run_views

Page = Annotated[int, QueryParameter(ge=1, le=99999)]
Limit = Annotated[int, QueryParameter(ge=1, le=100)]
LogStatus = Literal["succeeded", "failed", "stopped", "partial-succeeded", "running"]
LOGS_DESCRIPTION = (
    "Runs of the app's published versions in workflow mode (not the studio's runs of the"
    " draft), newest first: `page` from 1, `limit` 1-100, `total` and `has_more`. Filters:"
    " `status` (Dify's succeeded, failed, stopped; also partial-succeeded and running),"
    " `keyword` (its first 30 characters, case-insensitive, in the inputs' or outputs' JSON"
    " text or the user, or a run id), `created_at__before` / `created_at__after` (ISO 8601,"
    " inclusive, UTC unless an offset is given), `created_by_end_user_session_id` (the"
    " `user` of the run). Flowstead has no accounts: `created_by_account` is a 400."
)


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

    @get("/logs", summary="The app's workflow run logs", description=LOGS_DESCRIPTION)
    async def logs(
        self,
        app_key: AppKeyDep,
        store: StoreDep,
        page: Page = 1,
        limit: Limit = 20,
        status: FromQuery[LogStatus | None] = None,
        keyword: FromQuery[str | None] = None,
        created_at__before: FromQuery[str | None] = None,
        created_at__after: FromQuery[str | None] = None,
        created_by_end_user_session_id: FromQuery[str | None] = None,
        created_by_account: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        given = run_logs.LogFilter(
            status=status,
            keyword=keyword,
            created_at__before=created_at__before,
            created_at__after=created_at__after,
            created_by_end_user_session_id=created_by_end_user_session_id,
            created_by_account=created_by_account,
        )
        try:
            found = await run_logs.logs(store, app_key.workflow_id, given, page=page, limit=limit)
        except run_logs.InvalidLogQuery as exc:
            raise ApiError(400, str(exc)) from None
        data = [shapes.log_entry(run, found.exceptions[run.id]) for run in found.runs]
        more = found.total > page * limit
        return {"page": page, "limit": limit, "total": found.total, "has_more": more, "data": data}

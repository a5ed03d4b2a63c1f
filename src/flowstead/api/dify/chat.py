"""`/v1/chat-messages`, `/v1/conversations`, `/v1/messages` (Dify's chat app routes)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from flowstead.api.deps import AppKeyDep, RunsDep, StoreDep
from flowstead.api.dify import shapes
from flowstead.api.dify.deps import APP_CALL, AppCallDep
from flowstead.api.dify.guards import chat_app_only
from flowstead.api.dify.schemas import ChatRequest, RenameRequest, StopRequest
from flowstead.api.dify.streams import run_stream
from flowstead.api.errors import ApiError
from flowstead.services import feedback, run_views

Limit = Annotated[int, QueryParameter(ge=1, le=100)]


class ChatMessageController(Controller):
    path = "/chat-messages"
    tags = ("dify: chat app",)

    @post(
        "/",
        status_code=200,
        summary="Send a chat message (blocking or streaming)",
        dependencies=APP_CALL,
    )
    async def send(self, data: JSONBody[ChatRequest], call: AppCallDep) -> Response[Any]:
        run = await call.runs.start_run(
            call.key.workflow_id,
            inputs=data.inputs,
            user=data.user,
            mode="chat",
            query=data.query,
            conversation_id=data.conversation_id or None,
            files=data.files,
        )
        if data.response_mode == "streaming":
            return run_stream(call.store, call.runs, run)
        finished = await call.runs.wait(run.id)
        if finished is None:
            raise ApiError(500, "The run disappeared before it finished.")
        return Response(shapes.blocking_chat(finished))

    @post("/{task_id:str}/stop", status_code=200, summary="Stop a streaming answer")
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


class ConversationController(Controller):
    path = "/conversations"
    guards = [chat_app_only]  # noqa: RUF012
    tags = ("dify: chat app",)

    @get("/", summary="The user's conversations, most recent first")
    async def list_conversations(
        self,
        app_key: AppKeyDep,
        store: StoreDep,
        user: FromQuery[str],
        last_id: FromQuery[str | None] = None,
        limit: Limit = 20,
    ) -> dict[str, Any]:
        found, more = await run_views.conversations(
            store, workflow_id=app_key.workflow_id, user=user, limit=limit, last_id=last_id
        )
        return {"limit": limit, "has_more": more, "data": [shapes.conversation(c) for c in found]}

    @post("/{conversation_id:str}/name", status_code=200, summary="Rename a conversation")
    async def rename(
        self,
        conversation_id: FromPath[str],
        data: JSONBody[RenameRequest],
        app_key: AppKeyDep,
        store: StoreDep,
    ) -> dict[str, Any]:
        name = data.name.strip()
        if data.auto_generate or not name:
            name = await run_views.first_query(store, conversation_id) or name
        renamed = await run_views.rename_conversation(
            store, conversation_id, name, workflow_id=app_key.workflow_id, user=data.user
        )
        return shapes.conversation(renamed)

    @delete("/{conversation_id:str}", status_code=200, summary="Delete a conversation")
    async def delete_conversation(
        self,
        conversation_id: FromPath[str],
        data: JSONBody[StopRequest],
        app_key: AppKeyDep,
        store: StoreDep,
    ) -> dict[str, str]:
        await run_views.delete_conversation(
            store, conversation_id, workflow_id=app_key.workflow_id, user=data.user
        )
        return {"result": "success"}


class MessageController(Controller):
    path = "/messages"
    guards = [chat_app_only]  # noqa: RUF012
    tags = ("dify: chat app",)

    @get("/", summary="A conversation's messages, oldest first, paged backwards")
    async def list_messages(
        self,
        request: Request[Any, Any, Any],
        app_key: AppKeyDep,
        store: StoreDep,
        conversation_id: FromQuery[str],
        user: FromQuery[str],
        first_id: FromQuery[str | None] = None,
        limit: Limit = 20,
    ) -> dict[str, Any]:
        found, more = await run_views.messages(
            store,
            conversation_id,
            workflow_id=app_key.workflow_id,
            user=user,
            limit=limit,
            first_id=first_id,
        )
        ratings = await feedback.for_messages(store, found)
        files_url = f"{str(request.base_url).rstrip('/')}/v1/files"
        data = [shapes.message(m, ratings.get(m.id), files_url=files_url) for m in found]
        return {"limit": limit, "has_more": more, "data": data}

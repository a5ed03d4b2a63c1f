"""`/v1/conversations/{id}/variables`: a conversation's variables, and updating one (Dify's
Service API), scoped to the app and the `user` like the other conversation routes."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from flowstead.api.deps import AppKeyDep, StoreDep
from flowstead.api.dify import shapes
from flowstead.api.dify.guards import chat_app_only
from flowstead.api.dify.schemas import VariableUpdateRequest
from flowstead.api.errors import ApiError
from flowstead.services import conversation_variables

Limit = Annotated[int, QueryParameter(ge=1, le=100)]
# Dify refuses any other character in the name filter.
VariableName = Annotated[
    str | None, QueryParameter(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.\-]+$")
]
LIST_DESCRIPTION = (
    "The published document's conversation variables with this conversation's values, in"
    " declaration order, after `last_id` (a variable id); `variable_name` keeps those whose"
    " name contains it (any case). `value` is text: a string as it is, anything else as JSON."
)
UPDATE_DESCRIPTION = (
    "`value` must fit the variable's declared type (a 400 `bad_request` names both types);"
    " the conversation's next turn starts with it."
)


class ConversationVariableController(Controller):
    path = "/conversations/{conversation_id:str}/variables"
    guards = [chat_app_only]  # noqa: RUF012
    tags = ("dify: chat app",)

    @get("/", summary="A conversation's variables", description=LIST_DESCRIPTION)
    async def list_variables(
        self,
        conversation_id: FromPath[str],
        app_key: AppKeyDep,
        store: StoreDep,
        user: FromQuery[str],
        last_id: FromQuery[str | None] = None,
        limit: Limit = 20,
        variable_name: VariableName = None,
    ) -> dict[str, Any]:
        found, more = await conversation_variables.variables(
            store,
            conversation_id,
            workflow_id=app_key.workflow_id,
            user=user,
            limit=limit,
            last_id=last_id or None,
            name=variable_name,
        )
        data = [shapes.conversation_variable(item) for item in found]
        return {"limit": limit, "has_more": more, "data": data}

    @put(
        "/{variable_id:str}",
        summary="Set a conversation variable's value",
        description=UPDATE_DESCRIPTION,
    )
    async def update_variable(
        self,
        conversation_id: FromPath[str],
        variable_id: FromPath[str],
        data: JSONBody[VariableUpdateRequest],
        app_key: AppKeyDep,
        store: StoreDep,
    ) -> dict[str, Any]:
        try:
            updated = await conversation_variables.update(
                store,
                conversation_id,
                variable_id,
                data.value,
                workflow_id=app_key.workflow_id,
                user=data.user,
            )
        except conversation_variables.TypeMismatch as exc:
            raise ApiError(400, str(exc), code="bad_request") from None
        return shapes.conversation_variable(updated)

"""`/v1/messages/{id}/feedbacks`, `/v1/app/feedbacks`, `/v1/messages/{id}/suggested`:
rating chat answers and reading the ratings, as Dify's Service API does."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from flowstead.api.deps import AppKeyDep, StoreDep
from flowstead.api.dify import shapes
from flowstead.api.dify.guards import chat_app_only
from flowstead.api.dify.schemas import FeedbackRequest
from flowstead.api.errors import ApiError
from flowstead.services import feedback

Page = Annotated[int, QueryParameter(ge=1)]
# Dify's own bound (101, not 100).
FeedbackLimit = Annotated[int, QueryParameter(ge=1, le=101)]
RATE_DESCRIPTION = (
    "`rating` like or dislike replaces the user's earlier rating (and `content`); null or"
    " left out revokes it (a 400 when there is none). The message is named by the id"
    " `/v1/messages` and chat answers give it, and must be in one of the `user`'s"
    " conversations of this app (else 404)."
)


class FeedbackController(Controller):
    path = "/"
    tags = ("dify: chat app",)

    @post(
        "/messages/{message_id:str}/feedbacks",
        status_code=200,
        summary="Rate an answer: like, dislike, or null to revoke",
        description=RATE_DESCRIPTION,
    )
    async def rate(
        self,
        message_id: FromPath[str],
        data: JSONBody[FeedbackRequest],
        app_key: AppKeyDep,
        store: StoreDep,
    ) -> dict[str, str]:
        try:
            await feedback.rate(
                store,
                message_id,
                data.rating,
                data.content,
                workflow_id=app_key.workflow_id,
                user=data.user,
            )
        except feedback.NothingToRevoke:
            raise ApiError(400, "The message has no rating to revoke (`rating` is null).") from None
        return {"result": "success"}

    @get("/app/feedbacks", summary="The ratings of the app's answers, newest first")
    async def app_feedbacks(
        self, app_key: AppKeyDep, store: StoreDep, page: Page = 1, limit: FeedbackLimit = 20
    ) -> dict[str, Any]:
        found = await feedback.app_feedbacks(store, app_key.workflow_id, page=page, limit=limit)
        return {"data": [shapes.app_feedback(item) for item in found]}

    @get(
        "/messages/{message_id:str}/suggested",
        summary="Suggested next questions: off in Flowstead (Dify's 400)",
        guards=[chat_app_only],
    )
    async def suggested(
        self, message_id: FromPath[str], user: FromQuery[str], app_key: AppKeyDep, store: StoreDep
    ) -> dict[str, Any]:
        try:
            questions = await feedback.suggested_questions(
                store, message_id, workflow_id=app_key.workflow_id, user=user
            )
        except feedback.SuggestionsDisabled as exc:
            raise ApiError(400, str(exc), code="bad_request") from None
        return {"result": "success", "data": questions}

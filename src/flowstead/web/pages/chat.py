"""The chat pane of a chat-mode workflow: its conversations, their messages, and a new
message whose answer streams in (the run's events, as in the run panel)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from flowstead.api.deps import RunsDep, StoreDep
from flowstead.services import workflows
from flowstead.services.runs import RunRejected
from flowstead.store.protocol import Store
from flowstead.web import forms
from flowstead.web.deps import DraftsDep
from flowstead.web.responses import is_htmx, page
from flowstead.web.runview import run_inputs
from flowstead.web.studio import Studio, form_pairs

AnyRequest = Request[Any, Any, Any]
# Conversations started in the studio belong to this user (apps name their own users).
STUDIO_USER = "studio"
CONVERSATIONS = 30
MESSAGES = 100


async def chat_context(store: Store, studio: Studio, conversation_id: str) -> dict[str, Any]:
    conversations = await store.conversations.list(
        workflow_id=studio.workflow_id, user=STUDIO_USER, limit=CONVERSATIONS
    )
    current = next((c for c in conversations if c.id == conversation_id), None)
    messages = await store.messages.list(current.id, limit=MESSAGES) if current else []
    return {
        **studio.base_context(),
        "conversations": conversations,
        "conversation": current,
        "messages": messages,
        "start_inputs": workflows.start_inputs(studio.document),
        "chat_error": "",
    }


class ChatPages(Controller):
    path = "/workflows/{workflow_id:str}/chat"

    @get("/")
    async def chat(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        store: StoreDep,
        drafts: DraftsDep,
        conversation: FromQuery[str] = "",
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        context = await chat_context(store, studio, conversation)
        template = "workflows/_chat.html" if is_htmx(request) else "workflows/chat.html"
        return page(request, template, section="workflows", **context)

    @post("/")
    async def send(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        store: StoreDep,
        drafts: DraftsDep,
        runs: RunsDep,
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        read = forms.form_reader(await form_pairs(request))
        query = (read("query") or "").strip()
        conversation_id = read("conversation_id") or None
        inputs, error = run_inputs(read, workflows.start_inputs(studio.document))
        if not query:
            error = "Write a message first."
        run = None
        if not error:
            try:
                run = await runs.start_run(
                    workflow_id,
                    version=None,
                    inputs=inputs,
                    query=query,
                    conversation_id=conversation_id,
                    user=STUDIO_USER,
                    source="web",
                )
            except RunRejected as exc:
                error = str(exc)
        context = await chat_context(
            store, studio, run.conversation_id or "" if run else conversation_id or ""
        )
        context.update(run=run, query=query, chat_error=error)
        return page(request, "workflows/_chat_turn.html", **context)

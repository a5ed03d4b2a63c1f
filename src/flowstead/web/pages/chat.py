"""The chat pane of a chat-mode workflow: its conversations, their messages, and a new
message whose answer streams in (the run's events, as in the run panel).

The first message of a conversation carries the Start inputs (files too); every message
may carry attachments, which become that turn's `sys.files`, as Dify's chat apps do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from flowstead.api.deps import RunsDep, StoreDep
from flowstead.services import workflows
from flowstead.services.inputs import SYS_FILES, SYS_QUERY
from flowstead.services.runs import RunRejected, RunService
from flowstead.services.uploads import UploadService
from flowstead.store.protocol import Store
from flowstead.store.records import Run
from flowstead.web import forms
from flowstead.web.deps import DraftsDep
from flowstead.web.responses import is_htmx, page
from flowstead.web.runfiles import forget, uploaded_files, uploaded_inputs
from flowstead.web.runview import run_inputs
from flowstead.web.studio import Studio, form_pairs

AnyRequest = Request[Any, Any, Any]
# Conversations started in the studio belong to this user (apps name their own users).
STUDIO_USER = "studio"
CONVERSATIONS = 30
MESSAGES = 100
# The form field of a message's attachments.
ATTACHMENTS = "files"


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
        "attached": {m.id: attachment_names(m.files) for m in messages},
        "start_inputs": workflows.start_inputs(studio.document),
    }


def attachment_names(files: Any) -> list[str]:
    """The names of a turn's files: a message's `files`, or its run's `sys.files`."""
    if not isinstance(files, list):
        return []
    return [str(f.get("name") or "file") for f in files if isinstance(f, Mapping)]


async def start_turn(
    request: AnyRequest,
    read: forms.Form,
    studio: Studio,
    runs: RunService,
    uploads: UploadService,
) -> tuple[Run | None, str]:
    """Queue the run of the message posted, or say why not. The chosen files are kept as
    uploads first; when the turn is refused, they are deleted again."""
    query = (read("query") or "").strip()
    conversation_id = read("conversation_id") or None
    specs = workflows.start_inputs(studio.document)
    inputs, error = run_inputs(read, specs)
    if not query or error:
        return None, error or "Write a message first."
    kept: list[str] = []
    attachments: list[dict[str, Any]] = []
    if conversation_id is None:  # later turns reuse the first turn's inputs
        files, kept, error = await uploaded_inputs(request, specs, uploads)
        inputs.update(files)
    if not error:
        attachments, more, error = await uploaded_files(
            request, ATTACHMENTS, uploads, "Attachments"
        )
        kept += more
    if error:
        await forget(uploads, kept)
        return None, error
    try:
        run = await runs.start_run(
            studio.workflow_id,
            version=None,
            inputs=inputs,
            query=query,
            conversation_id=conversation_id,
            files=attachments,
            user=STUDIO_USER,
            source="web",
        )
    except RunRejected as exc:
        await forget(uploads, kept)
        return None, str(exc)
    return run, ""


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
        """The turn for the chat log; a refusal (422) is shown in the form instead."""
        studio = await Studio.load(store, workflow_id, drafts)
        read = forms.form_reader(await form_pairs(request))
        run, error = await start_turn(request, read, studio, runs, request.app.state.uploads)
        if run is None:
            return page(request, "workflows/_chat_refused.html", status_code=422, chat_error=error)
        context = await chat_context(store, studio, run.conversation_id or "")
        context.update(
            run=run,
            query=run.inputs.get(SYS_QUERY, ""),
            attachments=attachment_names(run.inputs.get(SYS_FILES)),
            new_conversation=not read("conversation_id"),
        )
        return page(request, "workflows/_chat_turn.html", **context)

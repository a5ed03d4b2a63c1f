"""API access for one workflow: its app keys (a new key is shown once), the base URL, and
curl examples for blocking and streaming runs."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from flowstead.api.deps import StoreDep
from flowstead.services import keys, workflows
from flowstead.store.protocol import Store
from flowstead.store.records import ApiKey
from flowstead.web import forms
from flowstead.web.deps import DraftsDep
from flowstead.web.responses import is_htmx, page
from flowstead.web.studio import Studio, form_pairs

AnyRequest = Request[Any, Any, Any]
KEY_PLACEHOLDER = "app-YOUR-KEY"


def base_url(request: AnyRequest) -> str:
    """The `/v1` root as this browser reached the server."""
    return f"{str(request.base_url).rstrip('/')}/v1"


def examples(studio: Studio, url: str, key: str) -> dict[str, str]:
    """curl commands for a blocking and a streaming call of the published workflow."""
    inputs: dict[str, Any] = {}
    for spec in workflows.start_inputs(studio.document):
        if spec.type in ("file", "files"):
            continue
        inputs[spec.name] = (
            0 if spec.type == "number" else False if spec.type == "checkbox" else "…"
        )
    if studio.document.mode == "chat":
        path = "/chat-messages"
        body: dict[str, Any] = {"inputs": inputs, "query": "Hello!", "user": "user-1"}
    else:
        path = "/workflows/run"
        body = {"inputs": inputs, "user": "user-1"}

    def command(mode: str) -> str:
        data = json.dumps({**body, "response_mode": mode}, ensure_ascii=False)
        flags = "-N " if mode == "streaming" else ""
        return (
            f"curl {flags}-X POST '{url}{path}' \\\n"
            f"  -H 'Authorization: Bearer {key}' \\\n"
            f"  -H 'Content-Type: application/json' \\\n"
            f"  -d '{data.replace(chr(39), chr(39) + chr(92) + chr(39) + chr(39))}'"
        )

    return {"blocking": command("blocking"), "streaming": command("streaming")}


async def _context(
    request: AnyRequest,
    store: Store,
    studio: Studio,
    *,
    created: str = "",
    key: ApiKey | None = None,
) -> dict[str, Any]:
    url = base_url(request)
    found = await keys.app_keys(store, studio.workflow_id)
    return {
        **studio.base_context(),
        "base_url": url,
        "keys": [k for k in found if k.revoked_at is None],
        "revoked": [k for k in found if k.revoked_at is not None],
        "created": created,
        "created_key": key,
        "examples": examples(studio, url, created or KEY_PLACEHOLDER),
    }


class AccessPages(Controller):
    path = "/workflows/{workflow_id:str}/api"

    @get("/")
    async def access(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        context = await _context(request, store, studio)
        return page(request, "workflows/api.html", section="workflows", **context)

    @post("/keys")
    async def create_key(
        self, request: AnyRequest, workflow_id: FromPath[str], store: StoreDep, drafts: DraftsDep
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        name = (forms.form_reader(await form_pairs(request))("name") or "").strip()
        key, plaintext = await keys.create_app_key(store, workflow_id, name)
        context = await _context(request, store, studio, created=plaintext, key=key)
        template = "workflows/_keys.html" if is_htmx(request) else "workflows/api.html"
        return page(request, template, section="workflows", **context)

    @post("/keys/{key_id:str}/revoke")
    async def revoke_key(
        self,
        request: AnyRequest,
        workflow_id: FromPath[str],
        key_id: FromPath[str],
        store: StoreDep,
        drafts: DraftsDep,
    ) -> Template:
        studio = await Studio.load(store, workflow_id, drafts)
        await keys.revoke_app_key(store, workflow_id, key_id)
        context = await _context(request, store, studio)
        template = "workflows/_keys.html" if is_htmx(request) else "workflows/api.html"
        return page(request, template, section="workflows", **context)

"""Settings: model providers (add, test, list models, remove), admin tokens (a new one is
shown once), and facts about this instance."""

from __future__ import annotations

import platform
import time
from typing import Any, get_args
from urllib.parse import urlsplit, urlunsplit

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from flowstead import __version__
from flowstead.api.deps import RouterDep, StoreDep
from flowstead.engine.ports import LLMError
from flowstead.providers.config import ProviderKind
from flowstead.services import keys, providers
from flowstead.settings import Settings
from flowstead.store.protocol import Store
from flowstead.web import forms
from flowstead.web.deps import SettingsDep
from flowstead.web.responses import is_htmx, page
from flowstead.web.studio import form_pairs

AnyRequest = Request[Any, Any, Any]
KINDS: tuple[str, ...] = get_args(ProviderKind)
DEFAULT_URLS = {
    "openai": "https://api.openai.com/v1",
    "ollama": "http://localhost:11434",
    "anthropic": "https://api.anthropic.com",
}


def masked_url(url: str) -> str:
    """A database URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    user = parts.username or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def instance_facts(store: Store, settings: Settings) -> list[tuple[str, str]]:
    beat = await store.workers.latest()
    if beat is None:
        worker = "no worker has started"
    else:
        age = time.time() - beat.beat_at
        fresh = age <= settings.job_lease_seconds
        worker = f"{'running' if fresh else 'not responding'} — last heartbeat {age:.0f} s ago"
    password = (
        "from FLOWSTEAD_PASSWORD"
        if settings.password
        else "from FLOWSTEAD_PASSWORD_FILE"
        if settings.password_file
        else "generated on first start (stored hashed)"
    )
    return [
        ("Version", __version__),
        ("Data directory", str(settings.data_dir.resolve())),
        ("Database", masked_url(settings.database_url)),
        ("Worker", worker),
        ("Password", password),
        ("Time zone", settings.timezone),
        ("Python", platform.python_version()),
    ]


async def _providers_context(store: Store, **extra: Any) -> dict[str, Any]:
    return {
        "providers": await providers.listed(store),
        "kinds": KINDS,
        "default_urls": DEFAULT_URLS,
        "provider_error": "",
        "values": {},
        **extra,
    }


async def _tokens_context(store: Store, created: str = "") -> dict[str, Any]:
    found = await keys.admin_tokens(store)
    return {"tokens": [t for t in found if t.revoked_at is None], "created_token": created}


async def _whole_page(
    request: AnyRequest, store: Store, settings: Settings, **overrides: Any
) -> Template:
    context = {
        **await _providers_context(store),
        **await _tokens_context(store),
        "facts": await instance_facts(store, settings),
        **overrides,
    }
    return page(request, "settings/index.html", section="settings", **context)


class SettingsPages(Controller):
    """Each form answers htmx with its section, and a plain post with the whole page."""

    path = "/settings"

    @get("/")
    async def settings_page(
        self, request: AnyRequest, store: StoreDep, settings: SettingsDep
    ) -> Template:
        return await _whole_page(request, store, settings)

    @post("/providers")
    async def save_provider(
        self, request: AnyRequest, store: StoreDep, settings: SettingsDep
    ) -> Template:
        read = forms.form_reader(await form_pairs(request))
        values = {k: (read(k) or "").strip() for k in ("id", "kind", "base_url", "api_key")}
        error = ""
        if not values["id"].replace("-", "_").isidentifier():
            error = "The id is a short name such as `local` or `openai` (letters, digits, - and _)."
        elif values["kind"] not in KINDS:
            error = f"Choose the kind: {', '.join(KINDS)}."
        else:
            await providers.put(
                store,
                values["id"],
                kind=values["kind"],  # type: ignore[arg-type]
                base_url=values["base_url"] or DEFAULT_URLS[values["kind"]],
                api_key=values["api_key"] or None,
            )
        extra = {"provider_error": error, "values": values if error else {}}
        if not is_htmx(request):
            return await _whole_page(request, store, settings, **extra)
        return page(
            request,
            "settings/_providers.html",
            status_code=422 if error else 200,
            **await _providers_context(store, **extra),
        )

    @post("/providers/{provider_id:str}/test")
    async def test_provider(
        self, request: AnyRequest, provider_id: FromPath[str], store: StoreDep, router: RouterDep
    ) -> Template:
        check = await providers.test(store, router, provider_id)
        return page(request, "settings/_check.html", check=check, provider_id=provider_id)

    @get("/providers/{provider_id:str}/models")
    async def models(
        self, request: AnyRequest, provider_id: FromPath[str], store: StoreDep, router: RouterDep
    ) -> Template:
        try:
            found, error = await providers.models(store, router, provider_id), ""
        except LLMError as exc:
            found, error = [], str(exc)
        return page(
            request, "settings/_models.html", models=found, error=error, provider_id=provider_id
        )

    @post("/providers/{provider_id:str}/delete")
    async def delete_provider(
        self, request: AnyRequest, provider_id: FromPath[str], store: StoreDep
    ) -> Template:
        await providers.delete(store, provider_id)
        return page(request, "settings/_providers.html", **await _providers_context(store))

    @post("/tokens")
    async def create_token(
        self, request: AnyRequest, store: StoreDep, settings: SettingsDep
    ) -> Template:
        name = (forms.form_reader(await form_pairs(request))("name") or "").strip()
        _token, plaintext = await keys.create_admin_token(store, name)
        if not is_htmx(request):
            return await _whole_page(request, store, settings, created_token=plaintext)
        return page(request, "settings/_tokens.html", **await _tokens_context(store, plaintext))

    @post("/tokens/{token_id:str}/revoke")
    async def revoke_token(
        self, request: AnyRequest, token_id: FromPath[str], store: StoreDep
    ) -> Template:
        await keys.revoke_admin_token(store, token_id)
        return page(request, "settings/_tokens.html", **await _tokens_context(store))

"""Dispatch by provider id, keys read at call time, embeddings, model listing, checks."""

from __future__ import annotations

import socket

import pytest

from flowstead.engine.ports import ChatMessage, ChatRequest, LLMError
from flowstead.providers.config import ProviderConfig
from flowstead.providers.router import ProviderCheck, ProviderRouter
from tests.fakes import FakeModelServer, fake_embedding
from tests.integration.providers.conftest import MakeHarness

AUTH_HEADER = {"openai": "authorization", "ollama": "authorization", "anthropic": "x-api-key"}


async def test_the_api_key_is_read_on_every_call(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    secrets = {"key": "sk-first"}
    h = harness(model_server, secrets=secrets)
    header = AUTH_HEADER[model_server.kind]

    await h.collect()
    secrets["key"] = "sk-rotated"
    await h.collect()

    sent = [r.headers[header] for r in model_server.requests]
    assert [value.removeprefix("Bearer ") for value in sent] == ["sk-first", "sk-rotated"]


async def test_no_key_sends_no_auth_header(
    model_server: FakeModelServer, harness: MakeHarness
) -> None:
    await harness(model_server, secrets={}).collect()

    headers = model_server.requests[-1].headers
    assert AUTH_HEADER[model_server.kind] not in headers
    if model_server.kind == "anthropic":
        assert headers["anthropic-version"] == "2023-06-01"


async def test_extra_headers_are_sent(openai_server: FakeModelServer, harness: MakeHarness) -> None:
    await harness(openai_server, headers={"OpenAI-Organization": "org-1"}).collect()

    assert openai_server.requests[-1].headers["openai-organization"] == "org-1"


async def test_settings_are_looked_up_per_request_and_may_be_async(
    openai_server: FakeModelServer, ollama_server: FakeModelServer
) -> None:
    configs = {"main": ProviderConfig(id="main", kind="openai", base_url=openai_server.base_url)}

    async def lookup(provider_id: str) -> ProviderConfig | None:
        return configs.get(provider_id)

    async def no_secrets(name: str) -> str | None:
        return None

    request = ChatRequest(provider="main", model="m", messages=(ChatMessage("user", "hi"),))
    async with ProviderRouter(lookup, no_secrets) as router:
        _ = [chunk async for chunk in router.stream(request)]
        configs["main"] = ProviderConfig(id="main", kind="ollama", base_url=ollama_server.base_url)
        _ = [chunk async for chunk in router.stream(request)]

    assert [r.path for r in openai_server.requests] == ["/v1/chat/completions"]
    assert [r.path for r in ollama_server.requests] == ["/api/chat"]


async def test_an_unknown_provider(harness: MakeHarness) -> None:
    h = harness()
    request = ChatRequest(provider="nope", model="m", messages=(ChatMessage("user", "hi"),))

    with pytest.raises(LLMError, match="provider nope is not configured") as caught:
        _ = [chunk async for chunk in h.router.stream(request)]

    assert (caught.value.provider, caught.value.model) == ("nope", "m")


async def test_ollama_openai_compatible_endpoint(
    ollama_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(ollama_server, kind="openai", base_url=f"{ollama_server.url}/v1")

    chunks = await h.collect(h.request("ping"))

    assert "You said: ping" in "".join(c.text for c in chunks)
    assert ollama_server.requests[-1].path == "/v1/chat/completions"


@pytest.mark.parametrize("kind", ["openai", "ollama"])
async def test_embeddings(kind: str, harness: MakeHarness) -> None:
    with FakeModelServer(kind) as server:  # type: ignore[arg-type]
        h = harness(server)

        vectors = await h.router.embed(h.provider_id, "fake-embed", ["alpha", "beta"])

    assert vectors == [fake_embedding("alpha"), fake_embedding("beta")]
    assert server.requests[-1].json["input"] == ["alpha", "beta"]


async def test_anthropic_has_no_embeddings(
    anthropic_server: FakeModelServer, harness: MakeHarness
) -> None:
    h = harness(anthropic_server)

    with pytest.raises(LLMError, match="no embeddings"):
        await h.router.embed(h.provider_id, "claude", ["alpha"])


async def test_model_listing(model_server: FakeModelServer, harness: MakeHarness) -> None:
    model_server.models = ["small", "large"]
    h = harness(model_server)

    assert await h.router.list_models(h.provider_id) == ["small", "large"]
    assert await h.router.test(h.provider_id) == ProviderCheck(True, "2 models available")


async def test_a_failing_check_says_why(harness: MakeHarness) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        h = harness(kind="openai", base_url=url, max_retries=0)

        check = await h.router.test(h.provider_id)

    assert not check.ok
    assert check.message.startswith(f"{h.provider_id} (model list): could not connect to {url}")

"""Provider settings: where a model server lives and how to talk to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

import msgspec

ProviderKind = Literal["openai", "ollama", "anthropic"]

SecretLookup = Callable[[str], str | Awaitable[str | None] | None]
"""Returns the secret stored under a name (sync or async); called on every request."""


class ProviderOptions(msgspec.Struct, frozen=True):
    """Timeouts, retry policy and extra headers for one provider."""

    connect_timeout: float = 10.0
    # Generous: a local server may load the model before its first token.
    read_timeout: float = 300.0
    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0
    headers: dict[str, str] = {}


class ProviderConfig(msgspec.Struct, frozen=True):
    """One configured provider.

    `base_url` is the API root: `https://api.openai.com/v1` for OpenAI-compatible servers,
    `http://localhost:11434` for Ollama, `https://api.anthropic.com` for Anthropic.
    `api_key_secret` names the secret that holds the key; it is looked up on every request
    (so a rotated key takes effect at once) and never stored here. `None` means no key.
    """

    id: str
    kind: ProviderKind
    base_url: str
    api_key_secret: str | None = None
    options: ProviderOptions = msgspec.field(default_factory=ProviderOptions)

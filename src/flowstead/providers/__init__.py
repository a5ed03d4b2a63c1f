"""Model providers (OpenAI-compatible, Ollama, Anthropic) and the HTTP client, over httpx."""

from __future__ import annotations

from flowstead.providers.config import ProviderConfig, ProviderKind, ProviderOptions, SecretLookup
from flowstead.providers.http import HttpxHttpClient
from flowstead.providers.router import ProviderCheck, ProviderLookup, ProviderRouter

__all__ = [
    "HttpxHttpClient",
    "ProviderCheck",
    "ProviderConfig",
    "ProviderKind",
    "ProviderLookup",
    "ProviderOptions",
    "ProviderRouter",
    "SecretLookup",
]

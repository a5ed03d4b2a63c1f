"""Bearer secrets (app keys, admin tokens): generated once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

APP_KEY_PREFIX = "app-"
ADMIN_TOKEN_PREFIX = "fst-"
_DISPLAY_CHARS = 4


def new_token(prefix: str) -> str:
    """A fresh plaintext secret: the prefix and 32 url-safe random characters."""
    return prefix + secrets.token_urlsafe(24)


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def display_prefix(plaintext: str, prefix: str) -> str:
    """What a listing may show of a secret, e.g. `app-Ab3x…`."""
    return plaintext[: len(prefix) + _DISPLAY_CHARS] + "…"

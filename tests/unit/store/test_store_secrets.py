"""App keys and admin tokens, and the key that encrypts provider secrets."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from flowstead.store.secretbox import KEY_FILE, SecretBox
from flowstead.store.tokens import APP_KEY_PREFIX, display_prefix, hash_token, new_token


def test_new_tokens_are_prefixed_random_and_url_safe() -> None:
    tokens = {new_token(APP_KEY_PREFIX) for _ in range(100)}

    assert len(tokens) == 100
    for token in tokens:
        body = token.removeprefix(APP_KEY_PREFIX)
        assert token.startswith(APP_KEY_PREFIX)
        assert len(body) >= 24
        assert body.replace("-", "").replace("_", "").isalnum()


def test_only_a_hash_and_a_short_prefix_are_kept() -> None:
    token = new_token(APP_KEY_PREFIX)

    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert display_prefix(token, APP_KEY_PREFIX) == token[:8] + "…"


def test_secret_key_is_created_private_and_reused(tmp_path: Path) -> None:
    box = SecretBox.open(tmp_path)
    sealed = box.encrypt({"api_key": "sk-123"})

    key_file = tmp_path / KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert "sk-123" not in sealed
    assert SecretBox.open(tmp_path).decrypt(sealed) == {"api_key": "sk-123"}
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]


def test_another_key_cannot_decrypt(tmp_path: Path) -> None:
    sealed = SecretBox.open(tmp_path).encrypt({"api_key": "sk-123"})

    with pytest.raises(InvalidToken):
        SecretBox(Fernet.generate_key()).decrypt(sealed)

"""Encryption at rest for provider secrets, with a Fernet key in `<data_dir>/secret.key`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from flowstead.store.codec import dumps, loads

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_FILE = "secret.key"


class SecretBox:
    """Encrypts and decrypts a provider's secrets as one Fernet token."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._cipher: Fernet | None = None

    @property
    def _fernet(self) -> Fernet:
        # cryptography is loaded when a secret is first read or written, not when the store
        # opens: the worker has no other use for it, and it is about 7 MB of its memory.
        if self._cipher is None:
            from cryptography.fernet import Fernet

            self._cipher = Fernet(self._key)
        return self._cipher

    @classmethod
    def open(cls, data_dir: Path) -> SecretBox:
        """Load the instance key, creating it (mode 0600) on first use."""
        return cls(_load_or_create_key(data_dir / KEY_FILE))

    def encrypt(self, secrets: dict[str, str]) -> str:
        return self._fernet.encrypt(dumps(secrets).encode()).decode()

    def decrypt(self, token: str) -> dict[str, str]:
        return dict(loads(self._fernet.decrypt(token.encode())))


def _load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temp file and hard-link it into place: the link fails if another
    # process won the race, and nobody ever reads a half-written key.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        from cryptography.fernet import Fernet  # once per instance, as above

        os.write(fd, Fernet.generate_key())
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes().strip()

"""The instance password: where it comes from, and checking it in constant time.

Precedence: `FLOWSTEAD_PASSWORD`, then the file in `FLOWSTEAD_PASSWORD_FILE` (read at each
check, so a rotated secret applies at once), then a hash kept in the store. With none of
them, one is generated on first start, printed once, and only its scrypt hash is kept —
an instance is never open.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from flowstead.settings import Settings, SettingsError
from flowstead.store.protocol import Store

PASSWORD_HASH_KEY = "instance_password_hash"
# scrypt cost: ~30 ms and 16 MiB per check, done in a thread off the event loop.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash`, base64 parts; the salt is random unless given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    parts = (base64.b64encode(salt).decode(), base64.b64encode(digest).decode())
    return f"scrypt${_N}${_R}${_P}${parts[0]}${parts[1]}"


def check_password_hash(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def _fingerprint(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


class InstancePassword:
    """Checks a candidate against the instance password without leaking timing."""

    def __init__(
        self, *, plaintext: Callable[[], str] | None = None, hashed: str | None = None
    ) -> None:
        if (plaintext is None) == (hashed is None):
            raise ValueError("give the password either as plaintext or as a hash")
        self._plaintext = plaintext
        self._hashed = hashed
        # Fingerprints of candidates already proven right, so scrypt runs once per value.
        self._proven: set[bytes] = set()

    async def verify(self, candidate: str) -> bool:
        if not candidate:
            return False
        fingerprint = _fingerprint(candidate)
        if self._plaintext is not None:
            return hmac.compare_digest(fingerprint, _fingerprint(self._plaintext()))
        if any(hmac.compare_digest(fingerprint, known) for known in self._proven):
            return True
        assert self._hashed is not None
        if await asyncio.to_thread(check_password_hash, candidate, self._hashed):
            self._proven.add(fingerprint)
            return True
        return False


def _read_password_file(path: Path) -> Callable[[], str]:
    def read() -> str:
        try:
            return path.read_text().strip()
        except OSError:
            return ""  # an unreadable file matches nothing rather than everything

    if not read():
        raise SettingsError(f"FLOWSTEAD_PASSWORD_FILE={str(path)!r} is missing or empty")
    return read


async def instance_password(
    settings: Settings, store: Store, out: IO[str] | None = None
) -> InstancePassword:
    """The instance password for this start; generates and prints one if none exists."""
    if settings.password:
        password = settings.password
        return InstancePassword(plaintext=lambda: password)
    if settings.password_file is not None:
        return InstancePassword(plaintext=_read_password_file(settings.password_file))
    stored = await store.meta.get(PASSWORD_HASH_KEY)
    if stored:
        return InstancePassword(hashed=stored)
    generated = secrets.token_urlsafe(18)
    encoded = await asyncio.to_thread(hash_password, generated)
    await store.meta.set(PASSWORD_HASH_KEY, encoded)
    print(
        f"Flowstead generated the instance password (shown only this once): {generated}",
        file=out or sys.stdout,
        flush=True,
    )
    return InstancePassword(hashed=encoded)

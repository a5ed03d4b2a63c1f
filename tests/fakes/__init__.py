"""Fake model servers (OpenAI, Ollama, Anthropic) and an echo server, on real loopback HTTP.

See `models.FakeModelServer`, `script` (replies and faults) and `fixtures` (pytest).
"""

from __future__ import annotations

from tests.fakes.base import RecordedRequest
from tests.fakes.chat import fake_embedding
from tests.fakes.echo import EchoServer
from tests.fakes.models import KINDS, FakeModelServer
from tests.fakes.script import Cut, ErrorStatus, FakeToolCall, Hang, Malformed, Reply, echo

__all__ = [
    "KINDS",
    "Cut",
    "EchoServer",
    "ErrorStatus",
    "FakeModelServer",
    "FakeToolCall",
    "Hang",
    "Malformed",
    "RecordedRequest",
    "Reply",
    "echo",
    "fake_embedding",
]

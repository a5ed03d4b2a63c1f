"""`FakeModelServer`: an OpenAI, Ollama or Anthropic model server on loopback."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Literal

from tests.fakes import anthropic_wire, ollama_wire, openai_wire
from tests.fakes.base import BackgroundServer, Exchange
from tests.fakes.chat import Wire, answer_chat
from tests.fakes.script import Answer, ErrorStatus, Rule, echo

Kind = Literal["openai", "ollama", "anthropic"]
KINDS: tuple[Kind, ...] = ("openai", "ollama", "anthropic")
DEFAULT_MODELS = ("fake-chat", "fake-embed")


class FakeModelServer(BackgroundServer):
    """Speaks one provider's wire format; Ollama also serves its OpenAI-compatible `/v1`.

    Chat requests take the next queued answer (`enqueue`), else `rule(request)`.
    `latency` delays the first byte; `rate` paces stream frames (per second). Both can be
    changed while the server runs. Every request is recorded in `requests`.
    """

    def __init__(
        self,
        kind: Kind = "openai",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rule: Rule = echo,
        latency: float = 0.0,
        rate: float | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
        embedding_dimensions: int = 16,
    ) -> None:
        super().__init__(host, port)
        self.kind = kind
        self.rule = rule
        self.latency = latency
        self.rate = rate
        self.models = list(models)
        self.embedding_dimensions = embedding_dimensions
        self._queue: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._routes = self._routes_for(kind)

    @property
    def base_url(self) -> str:
        """What a provider's `base_url` should be for this server's native API."""
        return f"{self.url}/v1" if self.kind == "openai" else self.url

    def enqueue(self, *answers: Answer) -> None:
        """Answer the next chat requests with these, in order, before falling back to `rule`."""
        with self._lock:
            self._queue.extend(answers)

    def next_answer(self, exchange: Exchange) -> Answer:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self.rule(exchange.request)

    def handle(self, exchange: Exchange) -> None:
        request = exchange.request
        route = self._routes.get((request.method, request.path.rstrip("/") or "/"))
        if route is None:
            wire = self._chat_wire(request.path)
            error = ErrorStatus(404, f"no route for {request.method} {request.path}")
            exchange.send_json(404, wire.error_body(error))
            return
        route(exchange)

    def _routes_for(self, kind: Kind) -> dict[tuple[str, str], Callable[[Exchange], None]]:
        openai = openai_wire.OpenAIWire()
        routes: dict[tuple[str, str], Callable[[Exchange], None]] = {}
        if kind in ("openai", "ollama"):
            routes |= {
                ("POST", "/v1/chat/completions"): lambda ex: self._chat(ex, openai),
                ("POST", "/v1/embeddings"): lambda ex: openai_wire.answer_embeddings(
                    ex, self.embedding_dimensions
                ),
                ("GET", "/v1/models"): lambda ex: openai_wire.answer_models(ex, self.models),
            }
        if kind == "ollama":
            ollama = ollama_wire.OllamaWire()
            routes |= {
                ("GET", "/"): lambda ex: ex.send(200, b"Ollama is running"),
                ("POST", "/api/chat"): lambda ex: self._chat(ex, ollama),
                ("POST", "/api/embed"): lambda ex: ollama_wire.answer_embed(
                    ex, self.embedding_dimensions
                ),
                ("GET", "/api/tags"): lambda ex: ollama_wire.answer_tags(ex, self.models),
            }
        if kind == "anthropic":
            anthropic = anthropic_wire.AnthropicWire()
            routes |= {
                ("POST", "/v1/messages"): lambda ex: self._chat(ex, anthropic),
                ("GET", "/v1/models"): lambda ex: anthropic_wire.answer_models(ex, self.models),
            }
        return routes

    def _chat(self, exchange: Exchange, wire: Wire) -> None:
        answer_chat(exchange, wire, self.next_answer(exchange), self)

    def _chat_wire(self, path: str) -> Wire:
        if self.kind == "anthropic":
            return anthropic_wire.AnthropicWire()
        if self.kind == "ollama" and path.startswith("/api/"):
            return ollama_wire.OllamaWire()
        return openai_wire.OpenAIWire()

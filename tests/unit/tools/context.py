"""Fakes for tools: a fixed clock and an HTTP client with canned answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from flowstead.engine.ports import HttpError, HttpRequest, HttpResponse


@dataclass
class FixedClock:
    at: float

    def now(self) -> float:
        return self.at

    def monotonic(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        pass


@dataclass
class CannedHttp:
    """Answers by URL; an unknown URL fails as a refused connection would."""

    answers: dict[str, HttpResponse] = field(default_factory=dict)
    requests: list[HttpRequest] = field(default_factory=list)

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if request.url not in self.answers:
            raise HttpError(f"could not connect to {request.url}")
        return self.answers[request.url]

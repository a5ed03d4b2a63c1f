"""JSON log lines on stdout, one object per line, with the request and run in context.

`configure(level)` installs the formatter on the root logger once per process. Code that
handles a request binds `bind(request_id=..., method=..., path=...)`, a run `bind(run_id=...)`;
every line logged inside (in that task and the tasks it starts) carries them. Extra fields
passed as `logger.info("workflow created", extra={"workflow_id": ...})` become keys.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
method: ContextVar[str | None] = ContextVar("method", default=None)
path: ContextVar[str | None] = ContextVar("path", default=None)
run_id: ContextVar[str | None] = ContextVar("run_id", default=None)

_CONTEXT: dict[str, ContextVar[str | None]] = {
    "request_id": request_id,
    "method": method,
    "path": path,
    "run_id": run_id,
}

# Attributes every LogRecord has; anything else on a record came in through `extra`.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, the bound ids, then the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in _CONTEXT.items():
            value = var.get()
            if value is not None:
                line[key] = value
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send every logger's records to `stream` (stdout) as JSON lines; idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_flowstead", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler._flowstead = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


@contextmanager
def bind(**ids: str | None) -> Iterator[None]:
    """Put `request_id`, `method`, `path` and/or `run_id` in the logging context."""
    unknown = set(ids) - set(_CONTEXT)
    if unknown:
        raise TypeError(f"unknown log context keys: {', '.join(sorted(unknown))}")
    tokens = [(_CONTEXT[key], _CONTEXT[key].set(value)) for key, value in ids.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)

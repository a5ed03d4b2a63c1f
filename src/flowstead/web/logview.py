"""Recent service logs for the Logs page: this process's own lines (a ring buffer fed by
a logging handler) and the tail of any `*.log` file in `<data dir>/logs/` (where the
appliance's programs may write theirs)."""

from __future__ import annotations

import contextlib
import json
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from flowstead.logs import JsonFormatter
from flowstead.web.ansi import to_html

BUFFER_LINES = 2000
FILE_TAIL_BYTES = 256 * 1024
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SHOWN_ELSEWHERE = frozenset({"time", "level", "logger", "message", "exception"})


class RingBuffer(logging.Handler):
    """Keeps the last `capacity` records of this process as JSON lines."""

    def __init__(self, capacity: int = BUFFER_LINES) -> None:
        super().__init__()
        self.lines: deque[str] = deque(maxlen=capacity)
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a log line must never break the request that wrote it
            self.handleError(record)

    @contextlib.contextmanager
    def installed(self) -> Iterator[RingBuffer]:
        root = logging.getLogger()
        root.addHandler(self)
        try:
            yield self
        finally:
            root.removeHandler(self)


@dataclass(frozen=True)
class LogLine:
    source: str
    time: str
    level: str
    logger: str
    message: Markup
    fields: list[tuple[str, Markup]] = field(default_factory=list)
    exception: Markup | None = None

    @property
    def level_class(self) -> str:
        return self.level.lower() if self.level in LEVELS else "plain"


def parse_line(source: str, text: str) -> LogLine:
    """A JSON log line in columns; anything else as its text, colours kept."""
    data: Any = None
    if text.startswith("{"):
        with contextlib.suppress(ValueError):
            data = json.loads(text)
    if not isinstance(data, dict):
        return LogLine(source, "", "", "", to_html(text))
    extra = [
        (str(key), to_html(value if isinstance(value, str) else json.dumps(value, default=str)))
        for key, value in data.items()
        if key not in _SHOWN_ELSEWHERE
    ]
    exception = data.get("exception")
    return LogLine(
        source=source,
        time=str(data.get("time", "")),
        level=str(data.get("level", "")).upper(),
        logger=str(data.get("logger", "")),
        message=to_html(str(data.get("message", ""))),
        fields=extra,
        exception=to_html(exception) if isinstance(exception, str) else None,
    )


def _tail(path: Path, limit: int) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - FILE_TAIL_BYTES))
            data = handle.read()
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    if size > FILE_TAIL_BYTES:
        lines = lines[1:]  # the first line was cut
    return lines[-limit:]


def log_files(data_dir: Path) -> list[Path]:
    folder = data_dir / "logs"
    try:
        return sorted(p for p in folder.glob("*.log") if p.is_file())
    except OSError:
        return []


def sources(buffer: RingBuffer | None, data_dir: Path) -> list[str]:
    return [*(["web"] if buffer is not None else []), *(p.stem for p in log_files(data_dir))]


def recent(
    buffer: RingBuffer | None,
    data_dir: Path,
    *,
    source: str | None = None,
    level: str | None = None,
    search: str | None = None,
    limit: int = 300,
) -> list[LogLine]:
    """The newest `limit` lines that match, oldest first."""
    raw: list[tuple[str, str]] = []
    if buffer is not None and source in (None, "", "web"):
        raw.extend(("web", line) for line in list(buffer.lines))
    for path in log_files(data_dir):
        if source in (None, "", path.stem):
            raw.extend((path.stem, line) for line in _tail(path, BUFFER_LINES))
    lines = [parse_line(src, text) for src, text in raw if text.strip()]
    return _filtered(lines, level, search)[-limit:]


def _filtered(lines: Iterable[LogLine], level: str | None, search: str | None) -> list[LogLine]:
    minimum = LEVELS.index(level) if level in LEVELS else 0
    needle = (search or "").lower()
    out = []
    for line in lines:
        if minimum and line.level in LEVELS and LEVELS.index(line.level) < minimum:
            continue
        if needle and needle not in f"{line.logger} {line.message} {line.fields}".lower():
            continue
        out.append(line)
    return out

"""The Jinja environment of the pages: autoescaped, with filters for times, durations,
statuses and JSON, and the static files' version for cache busting."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from flowstead import __version__
from flowstead.web.paths import STATIC, TEMPLATES

STATUS_CLASSES = {
    "succeeded": "ok",
    "partial_succeeded": "warn",
    "failed": "bad",
    "exception": "warn",
    "stopped": "muted",
    "skipped": "muted",
    "queued": "info",
    "running": "info",
}


def _when(timezone: ZoneInfo) -> Any:
    def when(value: float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        if not value:
            return "—"
        return datetime.fromtimestamp(value, UTC).astimezone(timezone).strftime(fmt)

    return when


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes:.0f} min {rest:.0f} s"


def pretty(value: Any) -> str:
    """JSON for people: indented, non-ASCII kept; text stays text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def to_json(value: Any) -> Markup:
    """JSON safe inside a `<script type="application/json">` element or an attribute."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    escaped = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(escaped.replace("'", "\\u0027"))


def singular(word: str) -> str:
    """What one of a list is called: messages → message, classes → class."""
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def status_class(status: str | None) -> str:
    return STATUS_CLASSES.get(status or "", "muted")


@cache
def asset_version(root: Path = STATIC) -> str:
    """A digest of the static files' names and contents: `?v=` on their URLs changes with
    any edit, so a browser never runs a cached script against newer pages."""
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def environment(timezone: str = "UTC") -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        auto_reload=False,
    )
    env.filters.update(
        when=_when(ZoneInfo(timezone)),
        duration=duration,
        pretty=pretty,
        tojson_attr=to_json,
        status_class=status_class,
        singular=singular,
    )
    env.globals.update(version=__version__, asset_version=asset_version())
    return env

"""What the web adds to the API app; empty for the API alone (kept import-light so the
API app can name it without loading the web)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class WebParts:
    route_handlers: list[Any] = field(default_factory=list)
    # A litestar TemplateConfig, or None without pages.
    template_config: Any = None
    plugins: list[Any] = field(default_factory=list)
    lifespan: list[Any] = field(default_factory=list)

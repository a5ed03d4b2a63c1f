"""Where the templates and static files live: `templates/` and `static/` at the top of the
source tree (beside `src/`), which the image copies as they are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"

"""ANSI SGR colour codes to HTML spans; everything else in the text is escaped.

Only `ESC [ … m` sequences become markup, and only as `<span class="…">` with classes
from a fixed set, so no text from a log line can reach the page as markup. Other escape
sequences (cursor movement, titles) are dropped.
"""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

_SEQUENCE = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b")
_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


class _Style:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.fg: str | None = None
        self.bg: str | None = None
        self.bold = self.dim = self.italic = self.underline = False

    def apply(self, params: str) -> None:
        codes = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else [0]
        index = 0
        while index < len(codes):
            code = codes[index]
            if code == 0:
                self.reset()
            elif code == 1:
                self.bold = True
            elif code == 2:
                self.dim = True
            elif code == 3:
                self.italic = True
            elif code == 4:
                self.underline = True
            elif code == 22:
                self.bold = self.dim = False
            elif code == 23:
                self.italic = False
            elif code == 24:
                self.underline = False
            elif 30 <= code <= 37:
                self.fg = _COLOURS[code - 30]
            elif 90 <= code <= 97:
                self.fg = "bright-" + _COLOURS[code - 90]
            elif code == 39:
                self.fg = None
            elif 40 <= code <= 47:
                self.bg = _COLOURS[code - 40]
            elif 100 <= code <= 107:
                self.bg = "bright-" + _COLOURS[code - 100]
            elif code == 49:
                self.bg = None
            elif code in (38, 48):
                # 256-colour and RGB forms: skip their arguments (no class for them).
                mode = codes[index + 1] if index + 1 < len(codes) else 0
                index += 2 if mode == 5 else 4 if mode == 2 else 0
            index += 1

    def classes(self) -> str:
        names = [
            *([f"fg-{self.fg}"] if self.fg else []),
            *([f"bg-{self.bg}"] if self.bg else []),
            *(["bold"] if self.bold else []),
            *(["dim"] if self.dim else []),
            *(["italic"] if self.italic else []),
            *(["underline"] if self.underline else []),
        ]
        return " ".join(f"ansi-{name}" for name in names)


def to_html(text: str) -> Markup:
    """The text with its colours as spans of `ansi-*` classes, the rest escaped."""
    style = _Style()
    out: list[str] = []
    position = 0
    for match in _SEQUENCE.finditer(text):
        out.append(_span(text[position : match.start()], style.classes()))
        if match.group(2) == "m":
            style.apply(match.group(1))
        position = match.end()
    out.append(_span(text[position:], style.classes()))
    return Markup("".join(out))


def _span(text: str, classes: str) -> str:
    if not text:
        return ""
    if not classes:
        return escape(text, quote=False)
    return f'<span class="{classes}">{escape(text, quote=False)}</span>'

"""ANSI SGR codes become spans of fixed classes; nothing else becomes markup."""

from __future__ import annotations

import pytest

from flowstead.web.ansi import to_html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("plain", "plain"),
        ("\x1b[31mred\x1b[0m done", '<span class="ansi-fg-red">red</span> done'),
        ("\x1b[1;94mbold blue", '<span class="ansi-fg-bright-blue ansi-bold">bold blue</span>'),
        ("\x1b[42mon green\x1b[49m off", '<span class="ansi-bg-green">on green</span> off'),
        ("\x1b[38;5;208morange\x1b[m", "orange"),
        ("\x1b[38;2;1;2;3mrgb\x1b[0m", "rgb"),
        ("\x1b[2Jcleared\x1b]0;title\x07", "cleared"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("\x1b[31m<b>&</b>", '<span class="ansi-fg-red">&lt;b&gt;&amp;&lt;/b&gt;</span>'),
        ('\x1b[33m"quoted"', '<span class="ansi-fg-yellow">"quoted"</span>'),
    ],
)
def test_to_html(text: str, html: str) -> None:
    assert str(to_html(text)) == html


def test_a_lone_escape_is_dropped() -> None:
    assert str(to_html("a\x1bb")) == "ab"

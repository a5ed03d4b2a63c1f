"""Text fields both ways: Dify's `{{#node.var#}}` text and Flowstead's Jinja2 templates.

Import writes a small canonical Jinja form: references as `{{ node.var }}`, literal Jinja
markers wrapped in `{% raw %}` (or quoted), and Dify Jinja variables as a `{% set %}`
prologue. Export reads that form back exactly, so a round trip changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

# Dify's own reference pattern (node id, then 1-10 identifier parts), plus `{{#context#}}`.
DIFY_REF = re.compile(
    r"\{\{#([a-zA-Z0-9_]{1,50}(?:\.[a-zA-Z_][a-zA-Z0-9_]{0,29}){1,10}|context)#\}\}"
)
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PART = r"\.[A-Za-z_][A-Za-z0-9_]*|\['(?:[^'\\]|\\.)*'\]|\[\d+\]"
_EXPR = rf"{_IDENT}(?:{_PART})*"
_MARKER = re.compile(r"\{[{%#]")
_ENDRAW = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")
_TOKEN = re.compile(
    r"\{% raw %\}(?P<raw>.*?)\{% endraw %\}"
    r"|\{\{ '(?P<esc>\{[{%#]?)' \}\}"
    rf"|\{{\{{ (?P<ref>{_EXPR}) \}}\}}",
    re.S,
)
_SET = re.compile(rf"\{{% set (?P<name>{_IDENT}) = (?P<expr>{_EXPR}) %\}}")
_PARTS = re.compile(rf"^{_IDENT}|{_PART}")


def escape(literal: str, *, before_tag: bool = False) -> str:
    """`literal` as template text that renders to itself. With `before_tag` (a `{{ … }}`
    follows), a trailing `{` is escaped too, so that it does not run into the tag."""
    probe = literal + "{" if before_tag else literal
    spans = [(m.start(), min(m.end(), len(literal))) for m in _MARKER.finditer(probe)]
    if not spans:
        return literal
    if _ENDRAW.search(literal):  # a raw block cannot hold its own end tag: quote each marker
        out, pos = [], 0
        for start, end in spans:
            out.append(literal[pos:start] + "{{ '" + literal[start:end] + "' }}")
            pos = end
        return "".join(out) + literal[pos:]
    start, end = spans[0][0], spans[-1][1]
    return f"{literal[:start]}{{% raw %}}{literal[start:end]}{{% endraw %}}{literal[end:]}"


def expression(selector: str) -> str:
    """A dotted selector as a Jinja expression: `llm.text`, `start['my-file']`, `x[0]`."""
    root, *parts = selector.split(".")
    out = [root]
    for part in parts:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out.append(f".{part}")
        elif part.isdigit():
            out.append(f"[{part}]")
        else:
            out.append("['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']")
    return "".join(out)


def selector_of(expr: str) -> list[str]:
    """The parts of a Jinja expression written by `expression`."""
    parts = []
    for match in _PARTS.finditer(expr):
        token = match.group()
        if token.startswith("."):
            parts.append(token[1:])
        elif token.startswith("['"):
            parts.append(re.sub(r"\\(.)", r"\1", token[2:-2]))
        elif token.startswith("["):
            parts.append(token[1:-1])
        else:
            parts.append(token)
    return parts


def from_dify(text: str, reference: Callable[[list[str]], str]) -> str:
    """Dify text to a template; `reference` maps Dify selector parts to a dotted selector."""
    out, pos = [], 0
    for match in DIFY_REF.finditer(text):
        out.append(escape(text[pos : match.start()], before_tag=True))
        path = match.group(1)
        target = "context" if path == "context" else reference(path.split("."))
        out.append("{{ " + expression(target) + " }}")
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def pieces(template: str) -> Iterator[tuple[str, str]]:
    """A template as ("text", literal) and ("ref", expression) pieces; text that is not in
    the canonical form (real Jinja) comes out as "jinja" pieces."""
    pos = 0
    for match in _TOKEN.finditer(template):
        if match.start() > pos:
            yield _text_piece(template[pos : match.start()])
        if match.group("ref") is not None:
            yield "ref", match.group("ref")
        else:
            yield (
                "text",
                match.group("raw") if match.group("raw") is not None else match.group("esc"),
            )
        pos = match.end()
    if pos < len(template):
        yield _text_piece(template[pos:])


def _text_piece(text: str) -> tuple[str, str]:
    return ("jinja" if _MARKER.search(text) else "text"), text


def is_plain(template: str) -> bool:
    """Whether the template is only text and references (so Dify's basic text can hold it)."""
    return all(kind != "jinja" for kind, _ in pieces(template))


def to_dify(template: str, reference: Callable[[list[str]], str]) -> str:
    """A template as Dify text; `reference` maps selector parts to Dify's `node.var` path.
    Real Jinja (not plain text and references) is kept as written."""
    out = []
    for kind, value in pieces(template):
        if kind == "ref":
            parts = selector_of(value)
            out.append(
                "{{#context#}}" if parts == ["context"] else "{{#" + reference(parts) + "#}}"
            )
        else:
            out.append(value)
    return "".join(out)


def with_prologue(body: str, variables: Sequence[tuple[str, str]]) -> str:
    """A Jinja body that reads `variables` (name, selector) bound by `{% set %}` in front."""
    return "".join(f"{{% set {name} = {expression(sel)} %}}" for name, sel in variables) + body


def split_prologue(
    template: str, roots: Callable[[str], bool]
) -> tuple[list[tuple[str, str]], str]:
    """The `{% set %}` prologue's (name, selector) pairs whose selectors start at a known
    root, and the body after them."""
    variables, pos = [], 0
    while (match := _SET.match(template, pos)) is not None:
        parts = selector_of(match.group("expr"))
        if not roots(parts[0]):
            break
        variables.append((match.group("name"), ".".join(parts)))
        pos = match.end()
    return variables, template[pos:]

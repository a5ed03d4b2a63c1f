"""Readable node ids: Dify's numeric ids become `llm`, `llm_2`, `code`… that templates can read."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from flowstead.dsl.document import IDENTIFIER, RESERVED_IDS

# fmt: off
_JINJA_WORDS = frozenset({
    "and", "or", "not", "in", "is", "if", "else", "elif", "endif", "for", "endfor", "set",
    "endset", "block", "endblock", "macro", "endmacro", "call", "endcall", "filter",
    "endfilter", "with", "endwith", "raw", "endraw", "import", "from", "include", "extends",
    "true", "false", "none", "True", "False", "None",
})
# Names a node id cannot take: reserved roots, Jinja words and globals, `context` (an LLM
# prompt's context value) and `userinput` (Dify's other name for `sys`).
_NOT_IDS = RESERVED_IDS | _JINJA_WORDS | {
    "range", "dict", "lipsum", "cycler", "joiner", "namespace", "self", "caller", "varargs",
    "kwargs", "context", "userinput",
}
# fmt: on


def usable(node_id: str) -> bool:
    return bool(IDENTIFIER.match(node_id)) and node_id not in _NOT_IDS


def jinja_name(name: str) -> bool:
    """Whether a template may bind `name` with `{% set %}`."""
    return bool(IDENTIFIER.match(name)) and name not in _JINJA_WORDS


def base_name(text: str, fallback: str) -> str:
    """A lower-case identifier made from `text` (a tool name), or `fallback`."""
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return name if name and not name[0].isdigit() and usable(name) else fallback


def assign(nodes: Sequence[tuple[str, str]], avoid: Collection[str] = ()) -> dict[str, str]:
    """Map each (dify id, base name) to a unique usable id. Dify ids that are already usable
    are kept (so an exported Flowstead file imports with the same ids); `avoid` holds names
    the templates use for their own variables."""
    taken = set(avoid)
    ids: dict[str, str] = {}
    for dify_id, _ in nodes:
        if usable(dify_id) and dify_id not in taken:
            ids[dify_id] = dify_id
            taken.add(dify_id)
    for dify_id, base in nodes:
        if dify_id in ids:
            continue
        number = 1 if base in _NOT_IDS else 2
        candidate = base if base not in _NOT_IDS else f"{base}_1"
        while candidate in taken:
            candidate = f"{base}_{number}"
            number += 1
        ids[dify_id] = candidate
        taken.add(candidate)
    return ids

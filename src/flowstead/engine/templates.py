"""Sandboxed Jinja2: one template language for every text field.

Templates are compiled once per source string (and so once per workflow version) and
rendered over the variable pool's namespace: `{{ start.question }}`, `{{ sys.query }}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

_ENV = ImmutableSandboxedEnvironment(
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=False,
)


class TemplateError(ValueError):
    """A template could not be compiled or rendered; the message says where and why."""


def has_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@lru_cache(maxsize=4096)
def compile_template(source: str) -> Any:
    try:
        return _ENV.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error on line {exc.lineno}: {exc.message}") from exc


def render(source: str, namespace: Mapping[str, Any]) -> str:
    """Render `source`; plain text without template markers is returned as is."""
    if not has_template(source):
        return source
    template = compile_template(source)
    try:
        return str(template.render(namespace))
    except TemplateError:
        raise
    except Exception as exc:  # Jinja raises many types; all mean "this template failed"
        raise TemplateError(f"template failed: {exc}") from exc


def check_syntax(source: str) -> str | None:
    """The syntax error message for `source`, or None when it compiles."""
    try:
        compile_template(source)
    except TemplateError as exc:
        return str(exc)
    return None


def references(source: str) -> tuple[tuple[str, str | None], ...]:
    """The `(root, attribute)` pairs a template reads, e.g. `("start", "question")`.

    Names bound inside the template (loop variables, `set`) are not references. A bare
    name with no attribute yields `(name, None)`. Templates with syntax errors yield none.
    Cached per source string: validation asks for the same templates on every save.
    """
    if not has_template(source):
        return ()
    return _references(source)


@lru_cache(maxsize=4096)
def _references(source: str) -> tuple[tuple[str, str | None], ...]:
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError:
        return ()
    found: list[tuple[str, str | None]] = []
    bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    bound.update(_ENV.globals)
    bound.add("loop")  # Jinja's own loop variable; `loop` is never a node id
    attributed: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, nodes.Getattr | nodes.Getitem)
        target = node.node
        if isinstance(target, nodes.Name) and target.name not in bound:
            attributed.add(id(target))
            if isinstance(node, nodes.Getattr):
                found.append((target.name, node.attr))
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                found.append((target.name, node.arg.value))
            else:
                found.append((target.name, None))
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in bound and id(name) not in attributed:
            found.append((name.name, None))
    return tuple(found)

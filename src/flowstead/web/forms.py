"""Node config forms, derived from each node type's config model.

`fields(...)` turns a config model and the node's (possibly invalid) config into form
fields; `parse(...)` turns the submitted form back into config data. One generic path
serves every node type: text, numbers, switches and choices get their own inputs, nested
models become groups, lists of models become rows that can be added and removed, and
anything else is edited as JSON. Text fields know whether they are templates (the
variable picker inserts `{{ node.output }}`) or selectors (it inserts `node.output`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import msgspec.inspect as mi

from flowstead.engine.references import LITERAL_FIELDS, LITERAL_STRUCTS, SELECTOR_FIELDS
from flowstead.engine.tools import BUILTIN_TOOLS

PREFIX = "c"
Widget = Literal[
    "text",
    "textarea",
    "code",
    "number",
    "checkbox",
    "select",
    "lines",
    "json",
    "any",
    "group",
    "list",
]
Kind = Literal["template", "selector", "literal"]

# Free text that is usually longer than a line.
LONG_TEXT = frozenset(
    {"system", "text", "template", "instruction", "content", "description", "code"}
)
LABELS = {
    "op": "Operator",
    "json_schema": "JSON schema",
    "top_p": "Top p",
    "max_tokens": "Max tokens",
    "url": "URL",
    "id": "ID",
    "top_k": "Top k",
    "memory_mb": "Memory (MB)",
    "cpu_seconds": "CPU seconds",
}
HINTS: dict[tuple[str, str], str] = {
    ("ModelRef", "provider"): "A provider from Settings.",
    ("ModelRef", "name"): "The model's name on that provider.",
    ("LLMConfig", "context"): "A value added as context, e.g. retrieved chunks.",
    ("IterationConfig", "items"): "The list to iterate over.",
    ("IterationConfig", "output"): "A child node's output, collected per item.",
    ("Mapping_", "value"): "The value to output, e.g. llm.text.",
    ("CodeConfig", "outputs"): 'Output names and types, e.g. {"result": "string"}.',
    ("AgentConfig", "instruction"): "What the agent is for and how it should use its tools.",
    ("AgentConfig", "query"): "The task or question, e.g. {{ sys.query }}.",
    ("AgentConfig", "max_iterations"): (
        "Rounds of tool calls (1–50); then the model must answer with what it has."
    ),
    ("AgentTool", "parameters"): (
        'Fixed values the model cannot change, e.g. {"timezone": "Europe/Paris"}; '
        "text may use {{ }} references."
    ),
}


class _Missing:
    pass


MISSING: Any = _Missing()


@dataclass
class FormField:
    """One form control (or group of them) and what it holds."""

    name: str
    key: str
    label: str
    widget: Widget
    value: Any = ""
    options: tuple[str, ...] = ()
    kind: Kind = "literal"
    hint: str = ""
    error: str | None = None
    optional: bool = False
    # Optional groups are switched on or off; `enabled` says which.
    enabled: bool = True
    children: list[FormField] = field(default_factory=list)
    # Rows of a list of models: each row's fields, and the row's form name.
    rows: list[tuple[str, list[FormField]]] = field(default_factory=list)
    datalist: str = ""
    step: str = "any"


Context = Mapping[str, Any]
"""What the form may offer beyond the config: `providers` (ids), `selectors` (datalist id)."""


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def _unwrap_optional(t: mi.Type) -> tuple[mi.Type, bool]:
    if isinstance(t, mi.UnionType):
        others = [u for u in t.types if not isinstance(u, mi.NoneType)]
        if len(others) == 1 and len(others) < len(t.types):
            return others[0], True
    return t, False


# Names of things (a case's id, an output's name) are never templates.
NAMES = frozenset({"id", "name"})


def _text_kind(owner: str, key: str) -> Kind:
    if (owner, key) in SELECTOR_FIELDS:
        return "selector"
    if owner in LITERAL_STRUCTS or (owner, key) in LITERAL_FIELDS or key in NAMES:
        return "literal"
    return "template"


def _display(value: Any) -> str:
    if value is None or value is MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_text(value: Any) -> str:
    if value is None or value is MISSING or value == {} or value == []:
        return ""
    return json.dumps(value, ensure_ascii=False, indent=2)


def _any_text(value: Any) -> str:
    if value is None or value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _default(f: mi.Field) -> Any:
    if f.default is not mi.NODEFAULT:
        return f.default
    if f.default_factory is not mi.NODEFAULT:
        return f.default_factory()
    return MISSING


def blank(t: mi.Type) -> Any:
    """The value of a new row's field that has no default."""
    t, optional = _unwrap_optional(t)
    if optional:
        return None
    if isinstance(t, mi.StrType):
        return ""
    if isinstance(t, mi.IntType | mi.FloatType):
        return 0
    if isinstance(t, mi.BoolType):
        return False
    if isinstance(t, mi.LiteralType):
        return t.values[0]
    if isinstance(t, mi.StructType):
        return new_item(t)
    if isinstance(t, mi.ListType):
        return []
    if isinstance(t, mi.DictType):
        return {}
    return None


def new_item(t: mi.StructType) -> dict[str, Any]:
    """A fresh row of a list of models: defaults, and blanks for required fields."""
    item: dict[str, Any] = {}
    for f in t.fields:
        default = _default(f)
        if default is MISSING:
            item[f.name] = blank(f.type)
        elif isinstance(default, msgspec.Struct):
            item[f.name] = msgspec.to_builtins(default)
    return item


# --- building the fields ------------------------------------------------------------------


def fields(
    config_type: type[msgspec.Struct], config: Mapping[str, Any], context: Context | None = None
) -> list[FormField]:
    info = mi.type_info(config_type)
    assert isinstance(info, mi.StructType)
    return _struct_fields(info, config, PREFIX, context or {}, {})


def _struct_fields(
    info: mi.StructType,
    data: Any,
    path: str,
    context: Context,
    errors: Mapping[str, str],
) -> list[FormField]:
    values = data if isinstance(data, Mapping) else {}
    owner = info.cls.__name__
    out = []
    for f in info.fields:
        value = values.get(f.name, MISSING)
        if value is MISSING:
            value = _default(f)
            if isinstance(value, msgspec.Struct):
                value = msgspec.to_builtins(value)
        out.append(_field(f.type, value, f"{path}.{f.name}", f.name, owner, context, errors))
    return out


def _field(
    t: mi.Type,
    value: Any,
    name: str,
    key: str,
    owner: str,
    context: Context,
    errors: Mapping[str, str],
) -> FormField:
    inner, optional = _unwrap_optional(t)
    base = FormField(
        name=name,
        key=key,
        label=label(key),
        widget="json",
        optional=optional,
        hint=HINTS.get((owner, key), ""),
        error=errors.get(name),
    )
    if isinstance(inner, mi.StrType):
        base.kind = _text_kind(owner, key)
        base.value = _display(value)
        if (owner, key) == ("ModelRef", "provider"):
            base.widget = "select"
            known = tuple(context.get("providers", ()))
            base.options = ("", *known) if base.value in known else ("", *known, base.value)
        elif (owner, key) == ("AgentTool", "name"):
            base.widget = "select"
            base.label = "Tool"
            known = tuple(BUILTIN_TOOLS.names())
            base.options = ("", *known) if base.value in known else ("", *known, base.value)
        elif key == "code":
            base.widget = "code"
        elif key in LONG_TEXT:
            base.widget = "textarea"
        else:
            base.widget = "text"
        if base.kind == "selector":
            base.datalist = str(context.get("selectors", ""))
    elif isinstance(inner, mi.BoolType):
        base.widget = "checkbox"
        base.value = bool(value) if not isinstance(value, _Missing) else False
    elif isinstance(inner, mi.IntType | mi.FloatType):
        base.widget = "number"
        base.value = _display(value)
        base.step = "1" if isinstance(inner, mi.IntType) else "any"
    elif isinstance(inner, mi.LiteralType):
        base.widget = "select"
        base.options = tuple(str(v) for v in inner.values)
        base.value = _display(value) if value is not MISSING else ""
        if optional:
            base.options = ("", *base.options)
    elif isinstance(inner, mi.StructType):
        base.widget = "group"
        base.enabled = not (optional and (value is None or value is MISSING))
        base.children = _struct_fields(inner, value, name, context, errors)
    elif isinstance(inner, mi.ListType) and isinstance(inner.item_type, mi.StrType):
        base.widget = "lines"
        base.kind = "selector" if (owner, key) in SELECTOR_FIELDS else "literal"
        items = value if isinstance(value, list) else []
        base.value = "\n".join(_display(v) for v in items)
    elif isinstance(inner, mi.ListType) and isinstance(inner.item_type, mi.StructType):
        base.widget = "list"
        rows = value if isinstance(value, list) else []
        base.rows = [
            (
                f"{name}.{index}",
                _struct_fields(inner.item_type, row, f"{name}.{index}", context, errors),
            )
            for index, row in enumerate(rows)
        ]
    elif isinstance(inner, mi.AnyType):
        base.widget = "any"
        base.kind = "template" if owner not in LITERAL_STRUCTS else "literal"
        base.value = _any_text(value)
    else:
        base.value = _json_text(value)
    if base.error is not None and name in errors:
        base.value = errors.get(f"{name}#raw", base.value)
    return base


# --- reading the form ---------------------------------------------------------------------


Form = Callable[[str], str | None]
"""The submitted value of a control by name (the last one if repeated), or None."""


def form_reader(pairs: Mapping[str, list[str]]) -> Form:
    def read(name: str) -> str | None:
        values = pairs.get(name)
        # Browsers send a textarea's line breaks as CRLF.
        return values[-1].replace("\r\n", "\n") if values else None

    return read


class Parsed(msgspec.Struct):
    config: dict[str, Any]
    # Form name → the problem; `<name>#raw` → what was typed, to show it again.
    errors: dict[str, str]


def parse(
    config_type: type[msgspec.Struct],
    form: Form,
    names: list[str],
    old: Mapping[str, Any],
    action: str | None = None,
) -> Parsed:
    """The config the form describes. A field that does not parse keeps its old value
    and gets an error. `action` adds (`add:<list name>`) or removes (`remove:<row name>`)
    a row of a list."""
    info = mi.type_info(config_type)
    assert isinstance(info, mi.StructType)
    errors: dict[str, str] = {}
    reader = _Reader(form, names, errors, action)
    config = reader.struct(info, PREFIX, old)
    return Parsed(compact(config_type, config), errors)


def compact(config_type: type[msgspec.Struct], config: dict[str, Any]) -> dict[str, Any]:
    """Defaults left out when the config fits its model; as it is otherwise (validation
    then says what is wrong, and the form still shows it)."""
    try:
        typed = msgspec.convert(config, config_type, str_keys=True)
    except msgspec.ValidationError:
        return config
    info = mi.type_info(config_type)
    assert isinstance(info, mi.StructType)
    data: dict[str, Any] = _without_defaults(info, msgspec.to_builtins(typed))
    return data


def _without_defaults(info: mi.StructType, data: dict[str, Any]) -> dict[str, Any]:
    """Leave out values equal to their defaults (msgspec's `omit_defaults` compares most
    values by identity, so a parsed "sys.query" would stay)."""
    out: dict[str, Any] = {}
    for f in info.fields:
        if f.name not in data:
            continue
        value = data[f.name]
        inner, _ = _unwrap_optional(f.type)
        if isinstance(inner, mi.StructType) and isinstance(value, dict):
            value = _without_defaults(inner, value)
        elif (
            isinstance(inner, mi.ListType)
            and isinstance(inner.item_type, mi.StructType)
            and isinstance(value, list)
        ):
            value = [
                _without_defaults(inner.item_type, v) if isinstance(v, dict) else v for v in value
            ]
        default = _default(f)
        if default is not MISSING and value == msgspec.to_builtins(default):
            continue
        out[f.name] = value
    return out


class _Reader:
    def __init__(
        self, form: Form, names: list[str], errors: dict[str, str], action: str | None
    ) -> None:
        self.form = form
        self.names = names
        self.errors = errors
        verb, _, target = (action or "").partition(":")
        self.add = target if verb == "add" else None
        self.remove = target if verb == "remove" else None

    def struct(self, info: mi.StructType, path: str, old: Any) -> dict[str, Any]:
        olds = old if isinstance(old, Mapping) else {}
        out: dict[str, Any] = {}
        for f in info.fields:
            value = self.value(f.type, f"{path}.{f.name}", olds.get(f.name, MISSING))
            if value is not MISSING:
                out[f.name] = value
        return out

    def value(self, t: mi.Type, name: str, old: Any) -> Any:
        inner, optional = _unwrap_optional(t)
        if isinstance(inner, mi.StructType):
            if optional and self.form(f"{name}._on") is None:
                return None if self._rendered(f"{name}._group") else old
            return self.struct(inner, name, old)
        if isinstance(inner, mi.ListType) and isinstance(inner.item_type, mi.StructType):
            return self.rows(inner.item_type, name, old)
        if isinstance(inner, mi.BoolType):
            raw = self.form(name)
            return old if raw is None else raw in ("true", "on", "1")
        raw = self.form(name)
        if raw is None:
            return old
        if isinstance(inner, mi.StrType):
            return None if optional and raw == "" else raw
        if isinstance(inner, mi.LiteralType):
            if raw == "" and optional:
                return None
            allowed = {str(v): v for v in inner.values}
            if raw not in allowed:
                return self.fail(name, raw, f"choose one of {', '.join(allowed)}", old)
            return allowed[raw]
        if isinstance(inner, mi.IntType | mi.FloatType):
            return self.number(inner, name, raw, optional, old)
        if isinstance(inner, mi.ListType) and isinstance(inner.item_type, mi.StrType):
            return [line.strip() for line in raw.splitlines() if line.strip()]
        if isinstance(inner, mi.AnyType):
            return _loose(raw)
        if raw.strip() == "":
            return None if optional else blank(inner)
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            return self.fail(name, raw, f"not valid JSON: {exc.msg} (line {exc.lineno})", old)

    def number(
        self, t: mi.IntType | mi.FloatType, name: str, raw: str, optional: bool, old: Any
    ) -> Any:
        text = raw.strip()
        if text == "":
            return None if optional else MISSING
        try:
            return int(text) if isinstance(t, mi.IntType) else float(text)
        except ValueError:
            what = "a whole number" if isinstance(t, mi.IntType) else "a number"
            return self.fail(name, raw, f"must be {what}", old)

    def rows(self, item: mi.StructType, name: str, old: Any) -> Any:
        prefix = f"{name}."
        indexes = sorted(
            {
                int(rest.split(".", 1)[0])
                for n in self.names
                if n.startswith(prefix) and (rest := n[len(prefix) :]).split(".", 1)[0].isdigit()
            }
        )
        olds = old if isinstance(old, list) else []
        if not indexes and not self._rendered(f"{name}._list"):
            return old
        rows = []
        for index in indexes:
            row_name = f"{name}.{index}"
            if row_name == self.remove:
                continue
            previous = olds[index] if index < len(olds) else {}
            rows.append(self.struct(item, row_name, previous))
        if self.add == name:
            rows.append(new_item(item))
        return rows

    def fail(self, name: str, raw: str, message: str, old: Any) -> Any:
        self.errors[name] = message
        self.errors[f"{name}#raw"] = raw
        return old

    def _rendered(self, name: str) -> bool:
        return name in self.names


def _loose(raw: str) -> Any:
    """A value typed in one line: JSON when it reads as JSON (numbers, true, lists…),
    else the text itself."""
    text = raw.strip()
    if text == "":
        return None
    if text[0] in '[{"' or text in ("true", "false", "null") or _is_number(text):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

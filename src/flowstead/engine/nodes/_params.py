"""The parameter extractor's types: a JSON Schema built from the parameters, and coercion
of the model's values to those types."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowstead.engine.nodes.parameter_extractor import Parameter

_SCALARS = {"string": "string", "number": "number", "boolean": "boolean", "object": "object"}
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parameters_schema(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """The JSON Schema of an object holding the parameters."""
    properties = {p.name: _property(p) for p in parameters}
    required = [p.name for p in parameters if p.required]
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _property(parameter: Parameter) -> dict[str, Any]:
    kind = parameter.type
    prop: dict[str, Any]
    if kind == "select":
        prop = {"type": "string"}
        if parameter.options:
            prop["enum"] = list(parameter.options)
    elif kind.startswith("array["):
        prop = {"type": "array", "items": {"type": _SCALARS[kind[6:-1]]}}
    else:
        prop = {"type": _SCALARS[kind]}
    if parameter.description:
        prop["description"] = parameter.description
    return prop


def coerce(
    parameters: Sequence[Parameter], raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Every parameter's value (None when missing or invalid) and the problems found."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    missing: list[str] = []
    for parameter in parameters:
        value = raw.get(parameter.name)
        values[parameter.name] = None
        if value is None or (isinstance(value, str) and not value.strip()):
            if parameter.required:
                missing.append(parameter.name)
            continue
        try:
            values[parameter.name] = coerce_value(parameter, value)
        except ValueError as exc:
            problems.append(f"`{parameter.name}`: {exc}")
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        problems.insert(0, f"missing required parameter{'s' if len(missing) > 1 else ''}: {names}")
    return values, problems


def coerce_value(parameter: Parameter, value: Any) -> Any:
    """`value` as the parameter's type; raises ValueError saying what was expected."""
    kind = parameter.type
    if kind == "select":
        return _select(value, parameter.options)
    if kind.startswith("array["):
        item_kind = kind[6:-1]
        items = _list(value)
        return [_scalar(item_kind, item) for item in items]
    return _scalar(kind, value)


def _scalar(kind: str, value: Any) -> Any:
    if kind == "string":
        return _string(value)
    if kind == "number":
        return _number(value)
    if kind == "boolean":
        return _boolean(value)
    return _object(value)


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        for parse in (int, float):
            try:
                number: int | float = parse(text)
            except ValueError:
                continue
            if number == number and number not in (float("inf"), float("-inf")):
                return number
    raise ValueError(f"expected a number, got {_show(value)}")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError(f"expected true or false, got {_show(value)}")


def _object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    if isinstance(value, dict):
        return value
    raise ValueError(f"expected an object, got {_show(value)}")


def _list(value: Any) -> list[Any]:
    if isinstance(value, str) and value.strip().startswith("["):
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    return value if isinstance(value, list) else [value]


def _select(value: Any, options: Sequence[str]) -> str:
    if not options:
        return _string(value)
    text = _string(value).strip() if isinstance(value, str | int | float) else None
    if text is not None:
        if text in options:
            return text
        folded = text.casefold()
        match = next((o for o in options if o.casefold() == folded), None)
        if match is not None:
            return match
    choices = ", ".join(repr(o) for o in options)
    raise ValueError(f"must be one of {choices}; got {_show(value)}")


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"

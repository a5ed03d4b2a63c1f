"""What a built-in tool is: a name, a description, typed parameters and an async `run`.

Tools are pure like the rest of the engine: they reach the outside world only through the
node's context (`ctx.http`, `ctx.clock`), and report expected failures as `ToolResult.fail`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import msgspec

if TYPE_CHECKING:
    from flowstead.engine.node import NodeContext

ParamType = Literal["string", "number", "integer", "boolean", "object", "array"]
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


class ParameterError(ValueError):
    """Parameter values do not fit a tool's parameters; the message says which and why."""


class Param(msgspec.Struct, frozen=True):
    name: str
    type: ParamType
    description: str
    required: bool = False
    default: Any = None
    # The allowed values, for a choice.
    options: tuple[str, ...] = ()

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.options:
            schema["enum"] = list(self.options)
        if self.default is not None:
            schema["default"] = self.default
        return schema


class ToolSettings(msgspec.Struct, frozen=True):
    """Where the tools that call a service find it, set once for the instance (the worker
    builds it from the settings); a tool's own parameter may name another."""

    # The SearXNG instance `searxng_search` asks; empty: the node must name one.
    searxng_url: str = ""
    # The MediaWiki API `wikipedia_search` asks, `{lang}` standing for the language code.
    wikipedia_api_url: str = "https://{lang}.wikipedia.org/w/api.php"


class ToolResult(msgspec.Struct):
    """What a tool produced (`text`, and `json` for structured data), or why it failed."""

    text: str = ""
    json: Any = None
    error: str | None = None

    @classmethod
    def ok(cls, text: str, json: Any = None) -> ToolResult:
        return cls(text=text, json=json)

    @classmethod
    def fail(cls, error: str) -> ToolResult:
        return cls(error=error)


RunTool = Callable[[dict[str, Any], "NodeContext"], Awaitable[ToolResult]]


@dataclass(frozen=True)
class Tool:
    name: str
    label: str
    description: str
    parameters: tuple[Param, ...]
    run: RunTool

    def json_schema(self) -> dict[str, Any]:
        """The parameters as a JSON Schema object, as function calling describes tools."""
        return {
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.parameters},
            "required": [p.name for p in self.parameters if p.required],
        }

    def bind(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Checked values with defaults filled in; strings are converted to the declared
        type (templates render to text). Raises `ParameterError`."""
        known = {p.name for p in self.parameters}
        if unknown := sorted(set(values) - known):
            takes = ", ".join(p.name for p in self.parameters) or "no parameters"
            raise ParameterError(f"unknown parameter `{unknown[0]}`; {self.name} takes {takes}")
        bound: dict[str, Any] = {}
        for param in self.parameters:
            value = values.get(param.name)
            if value is None or value == "":
                if param.required and param.default is None:
                    raise ParameterError(f"parameter `{param.name}` is required")
                value = param.default
            if value is not None:
                bound[param.name] = _convert(param, value)
        return bound


def _convert(param: Param, value: Any) -> Any:
    try:
        converted = _CONVERTERS[param.type](value)
    except (TypeError, ValueError) as exc:
        shown = json.dumps(value, default=str)[:80]
        raise ParameterError(
            f"parameter `{param.name}` should be {param.type}, got {shown}"
        ) from exc
    if param.options and converted not in param.options:
        choices = ", ".join(param.options)
        raise ParameterError(f"parameter `{param.name}` must be one of: {choices}")
    return converted


def _string(value: Any) -> str:
    if isinstance(value, dict | list):
        raise TypeError("a structure is not text")
    return str(value)


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("not a number")
    if isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    return value


def _integer(value: Any) -> int:
    number = _number(value)
    if isinstance(number, float) and not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("not a boolean")


def _structure(kind: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, kind):
            raise TypeError(f"not a {kind.__name__}")
        return value

    return convert


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _string,
    "number": _number,
    "integer": _integer,
    "boolean": _boolean,
    "object": _structure(dict),
    "array": _structure(list),
}


class ToolRegistry:
    """Tools by name, for the tool node, validation and the canvas's tool list."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}

    def names(self) -> list[str]:
        return sorted(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools[name] for name in self.names())

    def __len__(self) -> int:
        return len(self._tools)

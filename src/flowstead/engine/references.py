"""What a node's config reads: every template reference and every selector, with where
in the config it stands. Validation checks them; the canvas lists them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import msgspec

from flowstead.engine import selectors, templates

# (config struct name, field) pairs whose string values are selectors, not text.
SELECTOR_FIELDS = frozenset(
    {
        ("Mapping_", "value"),
        ("Condition", "variable"),
        ("LLMConfig", "context"),
        ("QuestionClassifierConfig", "query"),
        ("ParameterExtractorConfig", "query"),
        ("VariableAggregatorConfig", "variables"),
        ("Group", "variables"),
        ("Assignment", "variable"),
        ("IterationConfig", "items"),
        ("ListOperatorConfig", "variable"),
        ("DocumentExtractorConfig", "variable"),
        ("KnowledgeRetrievalConfig", "query"),
    }
)


# Config parts that are never rendered as templates: code, model settings, labels, options,
# constants used as they are.
LITERAL_STRUCTS = frozenset({"StartInput", "ModelRef", "Parameter", "Class"})
LITERAL_FIELDS = frozenset(
    {
        ("CodeConfig", "code"),
        ("CodeConfig", "language"),
        ("LLMConfig", "json_schema"),
        ("ToolConfig", "provider"),
        ("ToolConfig", "tool"),
        ("AgentTool", "name"),
    }
)


class Reference(msgspec.Struct, frozen=True):
    field: str
    text: str
    root: str = ""
    attr: str | None = None
    # "child": the selector reads a node inside this container (an iteration's output).
    scope: Literal["upstream", "child"] = "upstream"
    syntax_error: str | None = None


def node_references(node_type: str, config: msgspec.Struct) -> Iterator[Reference]:
    yield from _walk(config, type(config).__name__, node_type)


def _walk(value: Any, path: str, node_type: str) -> Iterator[Reference]:
    if isinstance(value, msgspec.Struct):
        yield from _walk_struct(value, path, node_type)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", node_type)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}", node_type)
    elif isinstance(value, str):
        yield from template_references(path, value)


def _walk_struct(struct: msgspec.Struct, path: str, node_type: str) -> Iterator[Reference]:
    name = type(struct).__name__
    if name in LITERAL_STRUCTS:
        return
    for field in struct.__struct_fields__:
        if (name, field) in LITERAL_FIELDS or _is_constant(struct, name, field):
            continue
        value = getattr(struct, field)
        where = f"{_label(path)}.{field}"
        if _is_selector(struct, name, field, node_type):
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str) and text:
                    yield selector_reference(where, text)
        elif (name, field) == ("IterationConfig", "output") and value:
            yield selector_reference(where, value, scope="child")
        else:
            yield from _walk(value, where, node_type)


def _is_constant(struct: msgspec.Struct, name: str, field: str) -> bool:
    """Assigned or loop-initial values given as constants are used as they are."""
    if (name, field) == ("Assignment", "value"):
        return getattr(struct, "input_type", "") == "constant"
    if (name, field) == ("LoopVariable", "value"):
        return getattr(struct, "value_type", "") == "constant"
    return False


def _is_selector(struct: msgspec.Struct, name: str, field: str, node_type: str) -> bool:
    if (name, field) == ("Condition", "variable") and node_type == "list_operator":
        return False  # a list filter's condition reads a key of each item
    if (name, field) == ("Assignment", "value"):
        return getattr(struct, "input_type", "") == "variable"
    if (name, field) == ("LoopVariable", "value"):
        return getattr(struct, "value_type", "") == "variable"
    if (name, field) == ("FormField", "value"):
        return getattr(struct, "type", "") == "file"
    return (name, field) in SELECTOR_FIELDS


def _label(path: str) -> str:
    return path.removesuffix("Config") if "." not in path else path


def selector_reference(
    where: str, text: str, scope: Literal["upstream", "child"] = "upstream"
) -> Reference:
    parts = selectors.split(text)
    return Reference(where, text, parts[0], parts[1] if len(parts) > 1 else None, scope)


def template_references(where: str, text: str) -> Iterator[Reference]:
    if not templates.has_template(text):
        return
    error = templates.check_syntax(text)
    if error is not None:
        yield Reference(where, text, syntax_error=error.removeprefix("template "))
        return
    for root, attr in templates.references(text):
        yield Reference(where, text, root, attr)

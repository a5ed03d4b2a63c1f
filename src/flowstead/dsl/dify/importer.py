"""Dify DSL to a Flowstead document: nodes, edges, containers, variables and a report."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any, get_args

import msgspec

from flowstead.dsl.dify import ids, source
from flowstead.dsl.dify.context import ImportContext, as_float, as_int, as_number
from flowstead.dsl.dify.model import ImportResult
from flowstead.dsl.dify.nodes import IMPORTERS
from flowstead.dsl.document import (
    ConversationVar,
    Document,
    Edge,
    EnvVar,
    Node,
    OnError,
    Position,
    Retry,
    VarType,
)
from flowstead.engine import templates
from flowstead.engine.nodes import REGISTRY

_VAR_TYPES: dict[str, VarType] = {t: t for t in get_args(VarType)}
_CONFIG_TYPES: dict[type, str] = {spec.config: node_type for node_type, spec in REGISTRY.items()}
# Dify nodes that have no Flowstead node: a container's start node (its first children
# are the entry), a loop end, sticky notes and nodes without a type.
_DROPPED = ("iteration-start", "loop-start", "loop-end", "note", "untyped")
# The first DSL minor version (0.4.0, Dify 1.9) whose `sys.dialogue_count` starts at 1.
ONE_BASED_TURNS = 4
_FEATURES = {
    "opening_statement": "the opening statement",
    "suggested_questions": "suggested questions",
    "suggested_questions_after_answer": "follow-up suggestions",
    "sensitive_word_avoidance": "content moderation",
    "speech_to_text": "speech to text",
    "text_to_speech": "text to speech",
    "file_upload": "file uploads",
}


def import_dify(text: str | bytes, *, providers: Collection[str] = ()) -> ImportResult:
    """Read a Dify workflow or chatflow export (DSL 0.1.0 to 0.6.x) as a Flowstead document.

    `providers` names the model providers configured here; models on any other provider
    get a warning. Raises `DifyImportError` for files that are not such an export."""
    data = source.load(text)
    app, workflow = data["app"], data["workflow"]
    graph = workflow["graph"]
    raw_nodes = _mappings(graph.get("nodes"))
    kinds: dict[str, str] = {}
    for node in raw_nodes:
        kinds.setdefault(str(node.get("id")), _kind(node))
    kept = [n for n in _unique(raw_nodes) if kinds[str(n.get("id"))] not in _DROPPED]
    names = ids.assign(
        [(str(n.get("id")), _base(kinds[str(n.get("id"))], n["data"])) for n in kept],
        avoid=_template_names(kept),
    )
    ctx = ImportContext(
        names,
        kinds,
        providers,
        source.MODES[app["mode"]],
        zero_based_turns=source.minor_version(data) < ONE_BASED_TURNS,
    )
    _report_dropped(raw_nodes, kinds, ctx)
    nodes = [_node(n, kinds[str(n.get("id"))], ctx) for n in kept]
    _report_turns(ctx)
    ctx.node_id = None
    document = Document(
        name=str(app.get("name") or ""),
        description=str(app.get("description") or ""),
        mode=source.MODES[app["mode"]],
        nodes=nodes,
        edges=_edges(_mappings(graph.get("edges")), kinds, ctx),
        environment=_environment(_mappings(workflow.get("environment_variables")), ctx),
        conversation_variables=_conversation(
            _mappings(workflow.get("conversation_variables")), ctx
        ),
    )
    _features(workflow.get("features") or {}, ctx)
    return ImportResult(document, ctx.report, ctx.needs(), ctx.ids)


def _mappings(items: Any) -> list[Mapping[str, Any]]:
    """The mappings in a list from the file (anything else there is ignored)."""
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _kind(node: Mapping[str, Any]) -> str:
    data = node.get("data")
    if node.get("type") == "custom-note":
        return "note"
    if not isinstance(data, Mapping) or not data.get("type"):
        return "untyped"
    kind = str(data["type"])
    if kind == "variable-assigner" and ("items" in data or "assigned_variable_selector" in data):
        return "assigner"
    return kind


def _unique(nodes: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    seen: set[str] = set()
    out = []
    for node in nodes:
        if str(node.get("id")) not in seen:
            seen.add(str(node.get("id")))
            out.append(node)
    return out


def _base(kind: str, data: Mapping[str, Any]) -> str:
    if kind == "tool":
        return ids.base_name(str(data.get("tool_name") or ""), "tool")
    importer = IMPORTERS.get(kind)
    return importer.base if importer else ids.base_name(kind, "node")


def _template_names(nodes: Iterable[Mapping[str, Any]]) -> set[str]:
    """Names Dify Jinja templates bind or read; node ids must not shadow them."""
    names: set[str] = set()
    for node in nodes:
        data = node["data"]
        bodies: list[Any] = []
        variables: list[Any] = []
        if data.get("type") == "template-transform":
            bodies, variables = [data.get("template")], data.get("variables") or []
        elif data.get("type") == "llm":
            prompts = data.get("prompt_template")
            bodies = (
                [
                    p.get("jinja2_text")
                    for p in _mappings(prompts)
                    if p.get("edition_type") == "jinja2"
                ]
                if isinstance(prompts, list)
                else []
            )
            variables = (data.get("prompt_config") or {}).get("jinja2_variables") or []
        names |= {str(v.get("variable")) for v in variables if isinstance(v, Mapping)}
        for body in bodies:
            if isinstance(body, str):
                names |= {root for root, _ in templates.references(body)}
    return names


def _report_dropped(
    raw_nodes: list[Mapping[str, Any]], kinds: Mapping[str, str], ctx: ImportContext
) -> None:
    seen: set[str] = set()
    for node in raw_nodes:
        node_id, kind = str(node.get("id")), kinds[str(node.get("id"))]
        if node_id in seen:
            ctx.add("error", f"two nodes have the id {node_id}; the second was dropped", None)
            continue
        seen.add(node_id)
        if kind == "note":
            ctx.add("info", f"sticky note dropped: “{_note_text(node.get('data'))}”", None)
        elif kind == "untyped":
            ctx.add("error", f"the node {node_id} has no type and was dropped", None)
        elif kind == "loop-end":
            ctx.add(
                "warning",
                "the Loop End node was dropped: a Flowstead loop stops when its "
                "break conditions hold or after its maximum count; add a break condition",
                ctx.ids.get(str(node.get("parentId"))),
            )


def _report_turns(ctx: ImportContext) -> None:
    """Say where `sys.dialogue_count` from a file of Dify before 1.9 (first turn 0) was moved
    onto Flowstead's count (first turn 1), and where it could not be."""
    if not ctx.zero_based_turns:
        return
    for node_id, reads in ctx.turn_reads.items():
        if node_id in ctx.turns_moved:
            ctx.add(
                "info",
                "Dify before 1.9 counted the first turn (`sys.dialogue_count`) as 0, "
                "Flowstead counts it as 1; the numbers its conditions compare the count "
                "with were raised by 1",
                node_id,
            )
        if reads > ctx.turn_handled.get(node_id, 0):
            ctx.add(
                "warning",
                "reads `sys.dialogue_count`, which Dify before 1.9 counted from 0 and "
                "Flowstead counts from 1 (as Dify 1.9 does); check what it does with it",
                node_id,
            )


def _note_text(data: Any, limit: int = 60) -> str:
    """The start of a sticky note's text (newer Dify stores it as rich-text JSON)."""
    raw = str(data.get("text") or "") if isinstance(data, Mapping) else ""
    try:
        tree = json.loads(raw)
    except ValueError:
        text = raw
    else:
        text = " ".join(_texts(tree))
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def _texts(tree: Any) -> Iterable[str]:
    if isinstance(tree, Mapping):
        if isinstance(tree.get("text"), str):
            yield tree["text"]
        tree = list(tree.values())
    if isinstance(tree, list):
        for item in tree:
            yield from _texts(item)


def _node(raw: Mapping[str, Any], kind: str, ctx: ImportContext) -> Node:
    data = raw["data"]
    ctx.node_id = ctx.ids[str(raw["id"])]
    node_type, config = _config(kind, data, ctx)
    return Node(
        id=ctx.node_id,
        type=node_type,
        title=str(data.get("title") or ""),
        position=_position(raw.get("position")),
        config=config,
        parent=_parent(raw, ctx),
        description=str(data.get("desc") or ""),
        retry=_retry(data.get("retry_config")),
        on_error=_on_error(data, ctx),
    )


def _config(kind: str, data: Mapping[str, Any], ctx: ImportContext) -> tuple[str, dict[str, Any]]:
    """The node's Flowstead type and config; a node that cannot be mapped keeps its Dify type
    and no settings, so the document still loads and shows where it was."""
    importer = IMPORTERS.get(kind)
    if importer is None:
        ctx.error(
            f"the Dify node type '{kind}' is not supported; the node was kept without "
            "settings so you can replace it"
        )
        return kind, {}
    try:
        converted = importer.convert(data, ctx)
        config = msgspec.to_builtins(_shared(converted))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # Files from Dify versions or editors that shaped a setting differently.
        ctx.error(
            f"the settings have a shape this importer does not know ({exc!r}); "
            "the node was kept without settings"
        )
        return importer.type, {}
    # A converter may choose another node type by the config it returns (an agent whose
    # tools Flowstead lacks becomes a tool node).
    node_type = _CONFIG_TYPES.get(type(converted), importer.type)
    try:
        msgspec.convert(config, REGISTRY[node_type].config, str_keys=True)
    except msgspec.ValidationError as exc:
        ctx.error(f"some settings did not convert cleanly ({exc}); check them")
    return node_type, config


def _shared(value: Any) -> Any:
    """`value` with every field equal to its default set to the default itself, since
    msgspec leaves a field out only when it holds the very default object."""
    if isinstance(value, msgspec.Struct):
        changes = {}
        for field in msgspec.structs.fields(value):
            current = _shared(getattr(value, field.name))
            same = field.default is not msgspec.NODEFAULT and current == field.default
            changes[field.name] = field.default if same else current
        return msgspec.structs.replace(value, **changes)
    if isinstance(value, list):
        return [_shared(item) for item in value]
    return value


def _position(value: Any) -> Position:
    if not isinstance(value, Mapping):
        return Position()
    return Position(as_float(value.get("x"), 0.0) or 0.0, as_float(value.get("y"), 0.0) or 0.0)


def _parent(raw: Mapping[str, Any], ctx: ImportContext) -> str | None:
    data = raw["data"]
    parent = (
        raw.get("parentId")
        or (data.get("isInIteration") and data.get("iteration_id"))
        or (data.get("isInLoop") and data.get("loop_id"))
    )
    if not parent:
        return None
    if str(parent) not in ctx.ids:
        ctx.warning(f"its container {parent} is not in the file; it was moved to the top level")
        return None
    return ctx.ids[str(parent)]


def _retry(config: Any) -> Retry | None:
    if not isinstance(config, Mapping) or not config.get("retry_enabled"):
        return None
    interval_ms = as_float(config.get("retry_interval"), 1000.0) or 0.0
    return Retry(max_attempts=as_int(config.get("max_retries"), 0), interval=interval_ms / 1000)


def _on_error(data: Mapping[str, Any], ctx: ImportContext) -> OnError | None:
    strategy = data.get("error_strategy")
    if strategy == "fail-branch":
        return OnError("fail_branch")
    if strategy == "default-value":
        return OnError(
            "default_value",
            default={
                str(item.get("key")): _default(item)
                for item in _mappings(data.get("default_value"))
            },
        )
    if strategy not in (None, "", "none"):
        ctx.warning(f"the error strategy {strategy!r} is unknown; a failure now ends the run")
    return None


def _default(item: Mapping[str, Any]) -> Any:
    """A Dify default output value, typed (Dify writes numbers and JSON as text)."""
    kind, value = item.get("type"), item.get("value")
    if kind == "number":
        return as_number(value)
    if kind in ("object", "array[string]", "array[number]", "array[object]") and isinstance(
        value, str
    ):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _edges(raw_edges: list[Any], kinds: Mapping[str, str], ctx: ImportContext) -> list[Edge]:
    edges: list[Edge] = []
    for raw in _mappings(raw_edges):
        source, target = str(raw.get("source")), str(raw.get("target"))
        if kinds.get(source) in _DROPPED or kinds.get(target) in _DROPPED:
            continue
        if source not in ctx.ids or target not in ctx.ids:
            ctx.add(
                "warning",
                f"an edge from {source} to {target} points at a node that is not "
                "in the file; it was dropped",
                None,
            )
            continue
        handle = raw.get("sourceHandle")
        handle = None if handle in (None, "", "source") else str(handle)
        if handle == "false" and kinds[source] == "if-else":
            handle = "else"
        edge = Edge(ctx.ids[source], ctx.ids[target], handle)
        if edge not in edges:
            edges.append(edge)
    return edges


def _environment(items: list[Any], ctx: ImportContext) -> list[EnvVar]:
    variables = []
    for item in items:
        name, kind, value = str(item.get("name", "")), item.get("value_type"), item.get("value")
        description = str(item.get("description") or "")
        if kind == "number":
            variables.append(EnvVar(name, "number", as_float(value, 0.0) or 0.0, description))
            continue
        if kind == "secret":
            if not value:
                ctx.add(
                    "warning",
                    f"the secret environment variable {name} has no value "
                    "(Dify leaves secrets out of exports); set it",
                    None,
                )
            variables.append(EnvVar(name, "secret", str(value or ""), description))
            continue
        if kind != "string":
            ctx.add(
                "warning",
                f"the environment variable {name} has the type {kind!r}; it became a string",
                None,
            )
        variables.append(EnvVar(name, "string", "" if value is None else str(value), description))
    return variables


def _conversation(items: list[Any], ctx: ImportContext) -> list[ConversationVar]:
    variables = []
    for item in items:
        name, kind = str(item.get("name", "")), str(item.get("value_type") or "string")
        if kind not in _VAR_TYPES:
            ctx.add(
                "warning",
                f"the conversation variable {name} has the type {kind!r}, which "
                "Flowstead lacks; it became `any`",
                None,
            )
        variables.append(
            ConversationVar(
                name,
                _VAR_TYPES.get(kind, "any"),
                item.get("value"),
                str(item.get("description") or ""),
            )
        )
    return variables


def _features(features: Mapping[str, Any], ctx: ImportContext) -> None:
    used = [label for key, label in _FEATURES.items() if _enabled(features.get(key))]
    if used:
        ctx.add("info", f"Dify app features not carried over: {', '.join(used)}", None)


def _enabled(feature: Any) -> bool:
    if isinstance(feature, Mapping):
        image = feature.get("image")
        return bool(feature.get("enabled") or (isinstance(image, Mapping) and image.get("enabled")))
    return bool(feature)

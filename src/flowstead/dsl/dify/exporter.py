"""A Flowstead document as Dify DSL, in the shape Dify's own exports have."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import yaml

from flowstead.dsl.dify.context import ExportContext, stable_id
from flowstead.dsl.dify.model import DifyExportError
from flowstead.dsl.dify.nodes import EXPORTERS
from flowstead.dsl.document import Document, Edge, Node
from flowstead.engine.nodes import REGISTRY

DSL_VERSION = "0.3.1"
_MODES = {"workflow": "workflow", "chat": "advanced-chat"}
_STRATEGIES = {"fail_branch": "fail-branch", "default_value": "default-value"}
_NODE_WIDTH, _NODE_HEIGHT = 244, 90
_FEATURES: dict[str, Any] = {
    "file_upload": {"enabled": False},
    "opening_statement": "",
    "retriever_resource": {"enabled": True},
    "sensitive_word_avoidance": {"enabled": False},
    "speech_to_text": {"enabled": False},
    "suggested_questions": [],
    "suggested_questions_after_answer": {"enabled": False},
    "text_to_speech": {"enabled": False, "language": "", "voice": ""},
}


def export_dify(document: Document, *, include_secrets: bool = False) -> str:
    """The document as a Dify app export (DSL 0.3.1). Node ids stay the Flowstead ids.
    Secret environment values are left out unless `include_secrets`, as Dify does.
    Raises `DifyExportError` for a node whose settings are invalid."""
    ctx = ExportContext(document)
    nodes = [_node(node, ctx) for node in document.nodes]
    edges = [_edge(edge, _parent_of(edge.source, document), ctx) for edge in document.edges]
    for container, data in list(zip(document.nodes, nodes, strict=True)):
        if container.type in ("iteration", "loop"):
            _start(container, data, document, nodes, edges, ctx)
    data = {
        "app": {
            "name": document.name,
            "description": document.description,
            "mode": _MODES[document.mode],
            "icon": "🤖",
            "icon_background": "#FFEAD5",
            "use_icon_as_answer_icon": False,
        },
        "dependencies": [],
        "kind": "app",
        "version": DSL_VERSION,
        "workflow": {
            "conversation_variables": [
                {
                    "id": stable_id("conversation", v.name),
                    "name": v.name,
                    "value_type": v.type,
                    "value": v.default,
                    "description": v.description,
                    "selector": ["conversation", v.name],
                }
                for v in document.conversation_variables
            ],
            "environment_variables": [
                {
                    "id": stable_id("env", v.name),
                    "name": v.name,
                    "value_type": v.type,
                    "value": "" if v.type == "secret" and not include_secrets else v.value,
                    "description": v.description,
                    "selector": ["env", v.name],
                }
                for v in document.environment
            ],
            "features": _FEATURES,
            "graph": {"edges": edges, "nodes": nodes, "viewport": {"x": 0, "y": 0, "zoom": 1}},
        },
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)


def _dify_type(node_type: str | None) -> str:
    exporter = EXPORTERS.get(node_type or "")
    return exporter.type if exporter else str(node_type)


def _node(node: Node, ctx: ExportContext) -> dict[str, Any]:
    ctx.node_id = node.id
    spec, exporter = REGISTRY.get(node.type), EXPORTERS.get(node.type)
    body: dict[str, Any] = {}
    if spec is not None and exporter is not None:
        try:
            config: Any = msgspec.convert(node.config, spec.config, str_keys=True)
        except msgspec.ValidationError as exc:
            raise DifyExportError(f"node `{node.id}`: its settings are invalid: {exc}") from exc
        body = exporter.convert(config, ctx)
    data: dict[str, Any] = {
        "type": _dify_type(node.type),
        "title": node.title,
        "desc": node.description,
        "selected": False,
        **body,
    }
    if node.on_error is not None and node.on_error.strategy in _STRATEGIES:
        data["error_strategy"] = _STRATEGIES[node.on_error.strategy]
        if node.on_error.default:
            data["default_value"] = [_default(k, v) for k, v in node.on_error.default.items()]
    if node.retry is not None:
        data["retry_config"] = {
            "retry_enabled": True,
            "max_retries": node.retry.max_attempts,
            "retry_interval": round(node.retry.interval * 1000),
        }
    position = {"x": node.position.x, "y": node.position.y}
    raw: dict[str, Any] = {
        "id": node.id,
        "type": "custom",
        "data": data,
        "position": position,
        "sourcePosition": "right",
        "targetPosition": "left",
        "width": _NODE_WIDTH,
        "height": _NODE_HEIGHT,
    }
    parent_type = ctx.types.get(node.parent or "")
    if parent_type in ("iteration", "loop"):
        data |= {f"isIn{parent_type.title()}": True, f"{parent_type}_id": node.parent}
        raw |= {"parentId": node.parent, "extent": "parent", "zIndex": 1002}
    return raw


def _default(key: str, value: Any) -> dict[str, Any]:
    """A default output in Dify's form, where numbers stay numbers and JSON values are text."""
    if isinstance(value, str):
        return {"key": key, "type": "string", "value": value}
    if isinstance(value, int | float):
        return {"key": key, "type": "number", "value": value}
    if isinstance(value, list):
        kinds = {type(v) for v in value}
        kind = (
            "array[string]"
            if kinds <= {str}
            else "array[number]"
            if kinds <= {int, float}
            else "array[object]"
        )
    else:
        kind = "object"
    return {"key": key, "type": kind, "value": json.dumps(value, ensure_ascii=False)}


def _parent_of(node_id: str, document: Document) -> str | None:
    node = document.node(node_id)
    return node.parent if node is not None else None


def _edge(edge: Edge, parent: str | None, ctx: ExportContext) -> dict[str, Any]:
    source, target = edge.source, edge.to
    handle = edge.handle or "source"
    if handle == "else" and ctx.types.get(source) == "if_else":
        handle = "false"
    parent_type = ctx.types.get(parent or "")
    data: dict[str, Any] = {
        "sourceType": _dify_type(ctx.types.get(source)),
        "targetType": _dify_type(ctx.types.get(target)),
        "isInIteration": parent_type == "iteration",
        "isInLoop": parent_type == "loop",
    }
    if parent_type in ("iteration", "loop"):
        data[f"{parent_type}_id"] = parent
    return {
        "id": f"{source}-{handle}-{target}-target",
        "source": source,
        "sourceHandle": handle,
        "target": target,
        "targetHandle": "target",
        "type": "custom",
        "zIndex": 1002 if parent else 0,
        "data": data,
    }


def _start(
    container: Node,
    data: dict[str, Any],
    document: Document,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    ctx: ExportContext,
) -> None:
    """Dify containers begin at a start node wired to the children nothing else leads to."""
    kind = container.type
    start_id = f"{container.id}start"
    while ctx.document.node(start_id) is not None:
        start_id += "_"
    children = [n for n in document.nodes if n.parent == container.id]
    fed = {e.to for e in document.edges if e.source in {c.id for c in children}}
    nodes.append(
        {
            "id": start_id,
            "type": f"custom-{kind}-start",
            "parentId": container.id,
            "position": {"x": 24, "y": 68},
            "draggable": False,
            "selectable": False,
            "sourcePosition": "right",
            "targetPosition": "left",
            "width": 44,
            "height": 48,
            "zIndex": 1002,
            "data": {"type": f"{kind}-start", "title": "", "desc": "", f"isIn{kind.title()}": True},
        }
    )
    ctx.types[start_id] = f"{kind}-start"
    for child in children:
        if child.id not in fed:
            edges.append(_edge(Edge(start_id, child.id), container.id, ctx))
    data["data"]["start_node_id"] = start_id
    right = max((c.position.x + _NODE_WIDTH for c in children), default=300.0)
    bottom = max((c.position.y + _NODE_HEIGHT for c in children), default=100.0)
    data["width"], data["height"] = right + 40, bottom + 40
    data["data"] |= {"width": data["width"], "height": data["height"]}

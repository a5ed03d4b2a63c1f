"""Small Dify DSL files for tests: nodes, edges and the app around them."""

from __future__ import annotations

from typing import Any

import yaml

from flowstead.dsl.dify import ImportResult, import_dify


def node(node_id: str, kind: str, *, parent: str | None = None, **data: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": node_id,
        "type": "custom",
        "position": {"x": 10, "y": 20},
        "data": {"type": kind, "title": kind.title(), "desc": "", **data},
    }
    if parent is not None:
        raw["parentId"] = parent
    return raw


def edge(source: str, target: str, handle: str = "source") -> dict[str, Any]:
    return {
        "id": f"{source}-{target}",
        "source": source,
        "sourceHandle": handle,
        "target": target,
        "targetHandle": "target",
    }


def dsl(
    *nodes: dict[str, Any],
    edges: list[dict[str, Any]] | None = None,
    mode: str = "workflow",
    version: str = "0.3.1",
    **workflow: Any,
) -> str:
    data = {
        "app": {"name": "test", "description": "a test app", "mode": mode},
        "kind": "app",
        "version": version,
        "workflow": {"graph": {"nodes": list(nodes), "edges": edges or []}, **workflow},
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


START = node(
    "1711528914102",
    "start",
    variables=[
        {"variable": "question", "label": "Question", "type": "paragraph", "required": True}
    ],
)


def imported(*nodes: dict[str, Any], **kwargs: Any) -> ImportResult:
    """Import a Dify file holding the Start node above and `nodes`."""
    return import_dify(dsl(START, *nodes, **kwargs))


def config(result: ImportResult, dify_id: str) -> dict[str, Any]:
    found = result.document.node(result.ids[dify_id])
    assert found is not None
    return found.config


def messages(result: ImportResult, node_id: str | None = None) -> list[str]:
    """The report's messages (for one Flowstead node id when given)."""
    return [e.message for e in result.report if node_id is None or e.node_id == node_id]

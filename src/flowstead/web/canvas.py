"""The canvas as the templates draw it: node cards with their handles, edges as SVG paths,
and validation issues placed on the nodes they concern.

Card geometry is fixed (see `static/app.css`, `.node`), so the server draws edges exactly
where the canvas script would; the script redraws them while nodes move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from flowstead.dsl.document import Document, Node
from flowstead.engine.node import FAIL_BRANCH, NodeSpec
from flowstead.engine.nodes import REGISTRY
from flowstead.engine.validation import Issue

NODE_W = 220
HEAD_H = 48
ROW_H = 24
BODY_PAD = 6
# A container's frame around its children: room under its header and at its edges.
FRAME_TOP = HEAD_H + 16
FRAME_PAD = 24

CATEGORIES = {"io": "Input & output", "ai": "AI", "logic": "Logic", "transform": "Transform"}
CATEGORY_ORDER = ("io", "ai", "logic", "transform")


@dataclass(frozen=True)
class HandleView:
    name: str
    label: str
    # Offset from the top of the card.
    y: float


@dataclass
class CardView:
    id: str
    type: str
    title: str
    label: str
    category: str
    x: float
    y: float
    abs_x: float
    abs_y: float
    height: float
    parent: str | None = None
    has_input: bool = True
    # The default output, at the right of the header; named handles are rows below it.
    default_out: bool = True
    handles: list[HandleView] = field(default_factory=list)
    summary: str = ""
    issues: list[Issue] = field(default_factory=list)
    container: bool = False
    children: list[CardView] = field(default_factory=list)
    frame_w: float = 0.0
    frame_h: float = 0.0
    state: str | None = None

    @property
    def error_count(self) -> int:
        return sum(1 for issue in self.issues if issue.severity == "error")

    @property
    def issue_text(self) -> str:
        return "\n".join(issue.message for issue in self.issues)


@dataclass(frozen=True)
class EdgeView:
    source: str
    handle: str | None
    to: str
    d: str


@dataclass
class GraphView:
    cards: list[CardView]
    edges: list[EdgeView]
    general_issues: list[Issue]
    # The bounding box of every card, for "fit to view".
    width: float = 0.0
    height: float = 0.0

    def all_cards(self) -> Iterable[CardView]:
        todo = list(self.cards)
        while todo:
            card = todo.pop()
            yield card
            todo.extend(card.children)


@dataclass(frozen=True)
class PaletteItem:
    type: str
    label: str
    container: bool


@dataclass(frozen=True)
class PaletteGroup:
    category: str
    label: str
    items: list[PaletteItem]


def palette() -> list[PaletteGroup]:
    """Every node type from the registry, grouped by category."""
    grouped: dict[str, list[PaletteItem]] = defaultdict(list)
    for spec in REGISTRY.values():
        grouped[spec.category].append(PaletteItem(spec.type, spec.label, spec.container))
    order = [*CATEGORY_ORDER, *sorted(set(grouped) - set(CATEGORY_ORDER))]
    return [
        PaletteGroup(category, CATEGORIES.get(category, category.title()), grouped[category])
        for category in order
        if grouped.get(category)
    ]


def typed_config(spec: NodeSpec[Any] | None, node: Node) -> Any:
    """The node's config as its model, or None when it does not fit (validation says why)."""
    if spec is None:
        return None
    try:
        return msgspec.convert(node.config, spec.config, str_keys=True)
    except msgspec.ValidationError:
        return None


def handle_labels(node: Node, spec: NodeSpec[Any] | None, config: Any) -> list[tuple[str, str]]:
    """The named source handles of a node and how the card labels them."""
    named: list[tuple[str, str]] = []
    if spec is not None and config is not None:
        ids = spec.handles(config)
        if node.type == "if_else":
            for index, case_id in enumerate(ids):
                word = "else" if case_id == "else" else ("if" if index == 0 else "elif")
                named.append((case_id, word if case_id == word else f"{word} · {case_id}"))
        elif node.type == "question_classifier":
            names = {c.id: c.name for c in config.classes}
            named.extend((class_id, names.get(class_id) or class_id) for class_id in ids)
        else:
            named.extend((handle, handle) for handle in ids)
    if node.on_error is not None and node.on_error.strategy == "fail_branch":
        named.append((FAIL_BRANCH, "on failure"))
    return named


def card_height(rows: int) -> float:
    return HEAD_H + (rows * ROW_H + 2 * BODY_PAD if rows else 0)


def _summary(node: Node, config: Any) -> str:
    if config is None:
        return ""
    match node.type:
        case "llm" | "question_classifier" | "parameter_extractor":
            model = config.model
            return f"{model.provider}/{model.name}" if model.provider or model.name else "no model"
        case "start":
            return ", ".join(i.name for i in config.inputs) or "no inputs"
        case "end":
            return ", ".join(o.name for o in config.outputs) or "no outputs"
        case "http":
            return f"{config.method} {config.url}".strip()
        case "template":
            return str(config.template).strip().splitlines()[0] if config.template.strip() else ""
        case "answer":
            return str(config.text).strip().splitlines()[0] if config.text.strip() else ""
        case "code":
            return "Python" if config.language == "python3" else "JavaScript"
        case "iteration":
            return f"over {config.items}" if config.items else ""
        case "knowledge_retrieval":
            return ", ".join(config.knowledge_bases)
        case "tool":
            return config.tool
        case "agent":
            return ", ".join(t.name for t in config.tools) or "no tools"
    return ""


def _card(node: Node, issues: list[Issue], state: str | None) -> CardView:
    spec = REGISTRY.get(node.type)
    config = typed_config(spec, node)
    named = handle_labels(node, spec, config)
    has_named_branches = spec is not None and config is not None and bool(spec.handles(config))
    handles = [
        HandleView(name, label, HEAD_H + BODY_PAD + ROW_H * index + ROW_H / 2)
        for index, (name, label) in enumerate(named)
    ]
    return CardView(
        id=node.id,
        type=node.type,
        title=node.title or (spec.label if spec else node.type),
        label=spec.label if spec else f"unknown type {node.type}",
        category=spec.category if spec else "unknown",
        x=node.position.x,
        y=node.position.y,
        abs_x=node.position.x,
        abs_y=node.position.y,
        height=card_height(len(handles)),
        parent=node.parent,
        has_input=node.type != "start",
        default_out=node.type != "end" and not has_named_branches,
        handles=handles,
        summary=_summary(node, config)[:80],
        issues=issues,
        container=bool(spec and spec.container),
        state=state,
    )


def _layout(card: CardView, cards: Mapping[str, CardView], depth: int = 0) -> None:
    """Place children inside their container (their positions are relative to it, as in
    Dify) and size the container's frame around them."""
    for child in card.children:
        child.abs_x = card.abs_x + child.x
        child.abs_y = card.abs_y + child.y
        if depth < 8:
            _layout(child, cards, depth + 1)
    if card.container:
        right = max((c.x + NODE_W for c in card.children), default=NODE_W)
        bottom = max((c.y + c.height + c.frame_h for c in card.children), default=FRAME_TOP)
        card.frame_w = max(NODE_W * 1.5, right + FRAME_PAD)
        card.frame_h = max(FRAME_TOP + 80, bottom + FRAME_PAD)
        card.height = card.frame_h


def _out_point(card: CardView, handle: str | None) -> tuple[float, float]:
    width = card.frame_w if card.container else NODE_W
    for view in card.handles:
        if view.name == handle:
            return card.abs_x + width, card.abs_y + view.y
    return card.abs_x + width, card.abs_y + HEAD_H / 2


def edge_path(x1: float, y1: float, x2: float, y2: float) -> str:
    """A horizontal S curve, as `static/canvas.js` draws it."""
    dx = max(40.0, abs(x2 - x1) / 2)
    return f"M{x1:.1f} {y1:.1f} C{x1 + dx:.1f} {y1:.1f} {x2 - dx:.1f} {y2:.1f} {x2:.1f} {y2:.1f}"


def issues_by_node(issues: Iterable[Issue]) -> tuple[dict[str, list[Issue]], list[Issue]]:
    """Issues of each node, and those about the whole workflow."""
    per_node: dict[str, list[Issue]] = defaultdict(list)
    general: list[Issue] = []
    for issue in issues:
        if issue.node_id:
            per_node[issue.node_id].append(issue)
        else:
            general.append(issue)
    return per_node, general


def graph_view(
    document: Document, issues: Iterable[Issue], states: Mapping[str, str] | None = None
) -> GraphView:
    """The cards (children nested in their containers) and edges of a document."""
    per_node, general = issues_by_node(issues)
    states = states or {}
    cards: dict[str, CardView] = {}
    for node in document.nodes:
        if node.id not in cards:
            cards[node.id] = _card(node, per_node.get(node.id, []), states.get(node.id))
    top: list[CardView] = []
    for card in cards.values():
        parent = cards.get(card.parent) if card.parent else None
        if parent is not None and parent.container and parent is not card:
            parent.children.append(card)
        else:
            top.append(card)
    for card in top:
        _layout(card, cards)
    edges = []
    for edge in document.edges:
        source, target = cards.get(edge.source), cards.get(edge.to)
        if source is None or target is None:
            continue
        x1, y1 = _out_point(source, edge.handle)
        x2, y2 = target.abs_x, target.abs_y + HEAD_H / 2
        edges.append(EdgeView(edge.source, edge.handle, edge.to, edge_path(x1, y1, x2, y2)))
    width = max((c.abs_x + (c.frame_w or NODE_W) for c in cards.values()), default=0.0)
    height = max((c.abs_y + c.height for c in cards.values()), default=0.0)
    return GraphView(top, edges, general, width, height)


def issues_payload(issues: Iterable[Issue]) -> dict[str, Any]:
    """Issues as the canvas script applies them after a save (`flowstead:issues`)."""
    per_node, general = issues_by_node(issues)
    return {
        "nodes": {
            node_id: [{"severity": i.severity, "message": i.message} for i in found]
            for node_id, found in per_node.items()
        },
        "general": [{"severity": i.severity, "message": i.message} for i in general],
    }

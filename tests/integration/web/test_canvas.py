"""The canvas view: cards and handles, containers, edges, the palette."""

from __future__ import annotations

from flowstead.dsl.document import from_data
from flowstead.engine.nodes import REGISTRY
from flowstead.engine.validation import validate
from flowstead.web.canvas import graph_view, palette


def test_the_palette_holds_every_node_type_once() -> None:
    types = [item.type for group in palette() for item in group.items]
    assert sorted(types) == sorted(REGISTRY)
    assert [g.label for g in palette()][:2] == ["Input & output", "AI"]


def test_branch_handles_and_the_failure_branch() -> None:
    document = from_data(
        {
            "nodes": [
                {"id": "start", "type": "start"},
                {
                    "id": "check",
                    "type": "if_else",
                    "config": {"cases": [{"id": "big"}, {"id": "small"}]},
                },
                {
                    "id": "sort",
                    "type": "question_classifier",
                    "config": {"classes": [{"id": "c1", "name": "Billing"}]},
                },
                {"id": "call", "type": "http", "on_error": {"strategy": "fail_branch"}},
                {"id": "end", "type": "end"},
            ],
            "edges": [
                {"from": "start", "to": "check"},
                {"from": "check", "handle": "else", "to": "end"},
            ],
        }
    )
    cards = {c.id: c for c in graph_view(document, validate(document)).all_cards()}
    assert [(h.name, h.label) for h in cards["check"].handles] == [
        ("big", "if · big"),
        ("small", "elif · small"),
        ("else", "else"),
    ]
    assert not cards["check"].default_out
    assert [(h.name, h.label) for h in cards["sort"].handles] == [("c1", "Billing")]
    assert [h.name for h in cards["call"].handles] == ["fail-branch"]
    assert cards["call"].default_out
    assert not cards["end"].default_out
    assert not cards["start"].has_input


def test_children_sit_inside_their_container() -> None:
    document = from_data(
        {
            "nodes": [
                {"id": "start", "type": "start"},
                {"id": "each", "type": "iteration", "position": {"x": 100, "y": 50}},
                {
                    "id": "inner",
                    "type": "template",
                    "parent": "each",
                    "position": {"x": 20, "y": 80},
                },
                {"id": "end", "type": "end"},
            ],
            "edges": [],
        }
    )
    graph = graph_view(document, [])
    assert [c.id for c in graph.cards] == ["start", "each", "end"]
    (container,) = [c for c in graph.cards if c.id == "each"]
    (child,) = container.children
    assert (child.abs_x, child.abs_y) == (120, 130)
    assert container.frame_w > 220
    assert container.frame_h > 80


def test_edges_to_missing_nodes_are_not_drawn() -> None:
    document = from_data(
        {"nodes": [{"id": "a", "type": "start"}], "edges": [{"from": "a", "to": "ghost"}]}
    )
    assert graph_view(document, []).edges == []

"""One workflow as the editor sees it: the draft, its parsed document and issues, and the
pieces of the page made from them (cards, the side panel, the run form)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile

from flowstead.dsl.document import Document, Node, from_data
from flowstead.engine.nodes import REGISTRY
from flowstead.services import workflows
from flowstead.services.workflows import Draft
from flowstead.store.protocol import Store
from flowstead.web import forms
from flowstead.web.canvas import CardView, GraphView, graph_view, issues_payload, palette
from flowstead.web.editor import ERROR_STRATEGIES, NodePanel, node_panel
from flowstead.web.responses import render

if TYPE_CHECKING:
    from flowstead.web.drafts import DraftEditor

AnyRequest = Request[Any, Any, Any]
MODES = (("workflow", "Workflow (Start → End)"), ("chat", "Chat (Start → Answer)"))


class CanvasUpdate(msgspec.Struct, omit_defaults=True):
    """What the canvas script gets back after a change."""

    issues: dict[str, Any]
    can_undo: bool
    node_id: str | None = None
    card: str | None = None
    graph: str | None = None
    undone: bool | None = None
    error: str | None = None


async def form_pairs(request: AnyRequest) -> dict[str, list[str]]:
    """The submitted form: each control's values, in order (files left out)."""
    form = await request.form()
    pairs: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if not isinstance(value, UploadFile):
            pairs.setdefault(key, []).append(value)
    return pairs


@dataclass
class Studio:
    draft: Draft
    document: Document

    @classmethod
    def of(cls, draft: Draft) -> Studio:
        return cls(draft, from_data(draft.workflow.document))

    @classmethod
    async def load(cls, store: Store, workflow_id: str, drafts: DraftEditor) -> Studio:
        return cls.of(await drafts.draft(store, workflow_id))

    @property
    def workflow_id(self) -> str:
        return self.draft.workflow.id

    def graph(self) -> GraphView:
        return graph_view(self.document, self.draft.issues)

    def base_context(self) -> dict[str, Any]:
        return {
            "workflow": self.draft.workflow,
            "document": self.document,
            "issues": self.draft.issues,
            "strategies": ERROR_STRATEGIES,
            "modes": MODES,
            "env_json": _pretty_list(self.document.environment),
            "conv_json": _pretty_list(self.document.conversation_variables),
        }

    def page_context(self, *, can_undo: bool) -> dict[str, Any]:
        graph = self.graph()
        return {
            **self.base_context(),
            "graph": graph,
            "palette": palette(),
            "can_undo": can_undo,
            "errors": {},
            "start_inputs": workflows.start_inputs(self.document),
            "run_error": "",
            "values": {},
        }

    def card(self, node_id: str) -> CardView | None:
        return next((c for c in self.graph().all_cards() if c.id == node_id), None)

    def panel(self, node_id: str, providers: list[str]) -> NodePanel | None:
        return node_panel(self.document, node_id, self.draft.issues, providers=providers)

    def parse_config(
        self, node: Node, read: forms.Form, names: list[str], action: str | None
    ) -> forms.Parsed:
        spec = REGISTRY.get(node.type)
        if spec is None:
            return forms.Parsed(dict(node.config), {})
        return forms.parse(spec.config, read, names, node.config, action)

    def update(
        self,
        request: AnyRequest,
        drafts: DraftEditor,
        *,
        card_of: str | None = None,
        graph: bool = False,
        undone: bool | None = None,
    ) -> CanvasUpdate:
        card = None
        if card_of is not None:
            card = render(
                request,
                "workflows/_card.html",
                card=self.card(card_of),
                workflow=self.draft.workflow,
            )
        drawn = None
        if graph:
            drawn = render(
                request, "workflows/_graph.html", graph=self.graph(), workflow=self.draft.workflow
            )
        return CanvasUpdate(
            issues=issues_payload(self.draft.issues),
            can_undo=drafts.can_undo(self.workflow_id),
            node_id=card_of,
            card=card,
            graph=drawn,
            undone=undone,
        )


def _pretty_list(items: list[Any]) -> str:
    return json.dumps(msgspec.to_builtins(items), ensure_ascii=False, indent=2) if items else ""


@dataclass
class WorkflowMeta:
    name: str
    description: str
    document: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _json_list(raw: str | None, label: str, errors: dict[str, str], key: str) -> list[Any]:
    text = (raw or "").strip()
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        errors[key] = f"{label}: not valid JSON ({exc.msg}, line {exc.lineno})"
        return []
    if not isinstance(value, list):
        errors[key] = f"{label}: a JSON list, e.g. []"
        return []
    return value


def workflow_meta(read: forms.Form, document: Document) -> WorkflowMeta:
    """Name, description, mode and variables from the workflow panel's form."""
    errors: dict[str, str] = {}
    name = (read("name") or "").strip()
    if not name:
        errors["name"] = "A workflow needs a name."
    mode = read("mode") or document.mode
    if mode not in ("workflow", "chat"):
        errors["mode"] = "Choose workflow or chat."
    data: dict[str, Any] = {
        k: v for k, v in _stored(document).items() if k not in ("name", "description")
    }
    data["mode"] = mode
    data["environment"] = _json_list(read("environment"), "Environment", errors, "environment")
    data["conversation_variables"] = _json_list(
        read("conversation_variables"), "Conversation variables", errors, "conversation_variables"
    )
    if not errors:
        try:
            from_data(data)
        except ValueError as exc:
            errors["variables"] = str(exc)
    return WorkflowMeta(name, (read("description") or "").strip(), data, errors)


def _stored(document: Document) -> dict[str, Any]:
    from flowstead.dsl.document import to_data

    return to_data(document)

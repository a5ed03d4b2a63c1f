"""Editing a draft from the canvas: small changes applied to the stored draft one at a time
per workflow, each remembered so it can be undone.

The canvas sends changes of different kinds (positions and edges from the canvas script,
a node's settings from the side panel); each is a read-modify-write of the stored draft
under a per-workflow lock, so two of them never overwrite each other. The undo history
lives in this process (the web runs as one process; it is lost on restart): each entry
is the draft as it was before a change, and changes that follow each other quickly with
the same key (typing in one field) share an entry.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from flowstead.dsl.document import RESERVED_IDS, from_data
from flowstead.engine.nodes import REGISTRY
from flowstead.engine.validation import Issue, validate
from flowstead.services import workflows
from flowstead.services.workflows import Draft
from flowstead.store.errors import NotFound
from flowstead.store.protocol import Store
from flowstead.store.records import Workflow

HISTORY = 50
COALESCE_SECONDS = 3.0
CACHED_VALIDATIONS = 64

Data = dict[str, Any]


class EditRejected(Exception):
    """A change that cannot be applied (an unknown node type, a node that is gone)."""


@dataclass(frozen=True)
class _Entry:
    document: Data
    name: str
    description: str
    key: str | None
    at: float


def starter_config(node_type: str, mode: str, providers: Iterable[str] = ()) -> Data:
    """The config a node gets when it is placed: enough to show its branches and to be
    filled in (the model on the first configured provider)."""
    provider = next(iter(providers), "")
    model = {"provider": provider} if provider else {}
    match node_type:
        case "llm":
            text = "{{ sys.query }}" if mode == "chat" else ""
            return {"model": model, "messages": [{"role": "user", "text": text}]}
        case "question_classifier":
            return {
                "model": model,
                "classes": [
                    {"id": "class_1", "name": "First"},
                    {"id": "class_2", "name": "Second"},
                ],
            }
        case "parameter_extractor":
            return {"model": model}
        case "agent":
            return {"model": model, "query": "{{ sys.query }}" if mode == "chat" else ""}
        case "if_else":
            return {"cases": [{"id": "case_1", "conditions": []}]}
        case "answer":
            return {"text": ""}
        case "end":
            return {"outputs": []}
        case "start":
            return {"inputs": []}
    return {}


def new_node_id(node_type: str, taken: Iterable[str]) -> str:
    used = set(taken)
    base = node_type if node_type.isidentifier() else "node"
    if base not in used and base not in RESERVED_IDS:
        return base
    number = 1 if base in RESERVED_IDS else 2
    while f"{base}_{number}" in used:
        number += 1
    return f"{base}_{number}"


def _descendants(nodes: list[Data], roots: set[str]) -> set[str]:
    gone = set(roots)
    changed = True
    while changed:
        changed = False
        for node in nodes:
            if node.get("parent") in gone and node.get("id") not in gone:
                gone.add(str(node.get("id")))
                changed = True
    return gone


def _edge(data: Mapping[str, Any]) -> Data | None:
    source, target = data.get("from"), data.get("to")
    if not isinstance(source, str) or not isinstance(target, str) or not source or not target:
        return None
    edge: Data = {"from": source, "to": target}
    handle = data.get("handle")
    if isinstance(handle, str) and handle and handle != "source":
        edge["handle"] = handle
    return edge


class IssueCache:
    """Validation results by document content. Validation is a pure function of the
    document and costs tens of milliseconds for a large one, while a page shows the same
    draft many times between changes."""

    def __init__(self, size: int = CACHED_VALIDATIONS) -> None:
        self._size = size
        self._found: OrderedDict[bytes, list[Issue]] = OrderedDict()

    @staticmethod
    def _key(document: Data) -> bytes:
        return hashlib.blake2b(msgspec.json.encode(document), digest_size=16).digest()

    def issues(self, document: Data) -> list[Issue]:
        key = self._key(document)
        found = self._found.get(key)
        if found is None:
            found = validate(from_data(document))
            self.remember(document, found, key=key)
        else:
            self._found.move_to_end(key)
        return found

    def remember(self, document: Data, issues: list[Issue], *, key: bytes | None = None) -> None:
        self._found[key or self._key(document)] = issues
        while len(self._found) > self._size:
            self._found.popitem(last=False)

    def clear(self) -> None:
        self._found.clear()


async def _workflow(store: Store, workflow_id: str) -> Workflow:
    found = await store.workflows.get(workflow_id)
    if found is None:
        raise NotFound("workflow", workflow_id)
    return found


class DraftEditor:
    """Applies canvas changes to drafts; held by the web app, one per process."""

    def __init__(
        self, *, history: int = HISTORY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._history = history
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._undo: dict[str, deque[_Entry]] = {}
        self.issues = IssueCache()

    async def draft(self, store: Store, workflow_id: str) -> Draft:
        """The stored draft and its issues (validated once per distinct document)."""
        workflow = await _workflow(store, workflow_id)
        return Draft(workflow, self.issues.issues(workflow.document))

    async def _saved(self, draft: Draft) -> Draft:
        self.issues.remember(draft.workflow.document, draft.issues)
        return draft

    def can_undo(self, workflow_id: str) -> bool:
        return bool(self._undo.get(workflow_id))

    def forget(self, workflow_id: str) -> None:
        self._undo.pop(workflow_id, None)
        self._locks.pop(workflow_id, None)

    async def edit(
        self,
        store: Store,
        workflow_id: str,
        change: Callable[[Data], None],
        *,
        key: str | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> Draft:
        """Apply `change` to a copy of the draft document and save it."""
        async with self._locks[workflow_id]:
            current = await _workflow(store, workflow_id)
            document = copy.deepcopy(current.document)
            change(document)
            unchanged = (
                document == current.document
                and name in (None, current.name)
                and description in (None, current.description)
            )
            if unchanged:
                return Draft(current, self.issues.issues(current.document))
            draft = await self._saved(
                await workflows.update_draft(
                    store, workflow_id, document, name=name, description=description
                )
            )
            self._remember(
                workflow_id,
                _Entry(current.document, current.name, current.description, key, self._clock()),
            )
            return draft

    async def undo(self, store: Store, workflow_id: str) -> Draft | None:
        """Put back the draft as it was before the last change; None if there is none."""
        async with self._locks[workflow_id]:
            entries = self._undo.get(workflow_id)
            if not entries:
                return None
            entry = entries.pop()
            return await self._saved(
                await workflows.update_draft(
                    store,
                    workflow_id,
                    entry.document,
                    name=entry.name,
                    description=entry.description,
                )
            )

    def _remember(self, workflow_id: str, entry: _Entry) -> None:
        entries = self._undo.setdefault(workflow_id, deque(maxlen=self._history))
        last = entries[-1] if entries else None
        if (
            last is not None
            and entry.key is not None
            and last.key == entry.key
            and entry.at - last.at < COALESCE_SECONDS
        ):
            # Same burst of edits: the older entry already holds the state before it.
            entries[-1] = _Entry(last.document, last.name, last.description, last.key, entry.at)
            return
        entries.append(entry)

    # --- the changes the canvas makes ----------------------------------------------------

    async def add_node(
        self,
        store: Store,
        workflow_id: str,
        node_type: str,
        x: float,
        y: float,
        *,
        parent: str | None = None,
        providers: Iterable[str] = (),
    ) -> tuple[Draft, str]:
        spec = REGISTRY.get(node_type)
        if spec is None:
            raise EditRejected(f"there is no node type {node_type!r}")
        added: list[str] = []

        def change(document: Data) -> None:
            nodes = document.setdefault("nodes", [])
            node_id = new_node_id(node_type, (str(n.get("id")) for n in nodes))
            titles = {n.get("title") for n in nodes}
            title, number = spec.label, 2
            while title in titles:
                title, number = f"{spec.label} {number}", number + 1
            node: Data = {
                "id": node_id,
                "type": node_type,
                "title": title,
                "position": {"x": round(x), "y": round(y)},
                "config": starter_config(node_type, document.get("mode", "workflow"), providers),
            }
            container = next((n for n in nodes if n.get("id") == parent), None)
            if container is not None and REGISTRY.get(str(container.get("type")), spec).container:
                node["parent"] = parent
            nodes.append(node)
            added.append(node_id)

        draft = await self.edit(store, workflow_id, change)
        return draft, added[0]

    async def save_structure(
        self,
        store: Store,
        workflow_id: str,
        *,
        positions: Mapping[str, tuple[float, float]],
        edges: Iterable[Mapping[str, Any]] | None,
        deleted: Iterable[str] = (),
    ) -> Draft:
        """Positions and edges as the canvas has them, and nodes it deleted (with their
        children and edges). `edges` None keeps the stored ones."""

        def change(document: Data) -> None:
            nodes: list[Data] = document.get("nodes", [])
            gone = _descendants(nodes, set(deleted))
            document["nodes"] = [n for n in nodes if n.get("id") not in gone]
            for node in document["nodes"]:
                if node.get("id") in positions:
                    x, y = positions[str(node["id"])]
                    node["position"] = {"x": round(x), "y": round(y)}
            ids = {n.get("id") for n in document["nodes"]}
            kept = (
                [e for e in (_edge(edge) for edge in edges) if e is not None]
                if edges is not None
                else document.get("edges", [])
            )
            unique: list[Data] = []
            for edge in kept:
                if edge.get("from") in ids and edge.get("to") in ids and edge not in unique:
                    unique.append(edge)
            document["edges"] = unique

        return await self.edit(store, workflow_id, change, key="move")

    async def save_node(
        self,
        store: Store,
        workflow_id: str,
        node_id: str,
        *,
        config: Data,
        settings: Mapping[str, Any],
        key: str | None,
    ) -> Draft:
        """A node's config and its settings (title, description, parent, error handling,
        retry, timeout: a None value removes the setting)."""

        def change(document: Data) -> None:
            node = next((n for n in document.get("nodes", []) if n.get("id") == node_id), None)
            if node is None:
                raise EditRejected(f"the node {node_id} is no longer in the workflow")
            node["config"] = config
            for name, value in settings.items():
                if value is None or value == "":
                    node.pop(name, None)
                else:
                    node[name] = value

        return await self.edit(store, workflow_id, change, key=key)

    async def set_edge(
        self, store: Store, workflow_id: str, edge: Mapping[str, Any], *, present: bool
    ) -> Draft:
        """Add (`present`) or remove one edge."""
        wanted = _edge(edge)
        if wanted is None:
            raise EditRejected("an edge needs the node it leaves and the node it enters")

        def change(document: Data) -> None:
            ids = {n.get("id") for n in document.get("nodes", [])}
            if wanted["from"] not in ids or wanted["to"] not in ids:
                raise EditRejected("both nodes of the edge must be in the workflow")
            edges = [e for e in document.get("edges", []) if _edge(e) != wanted]
            document["edges"] = [*edges, wanted] if present else edges

        return await self.edit(store, workflow_id, change)

    async def rename_node(self, store: Store, workflow_id: str, node_id: str, new_id: str) -> Draft:
        """Give a node another id; its edges and children follow (templates that read the
        old id are left as they are: validation points at them)."""

        def change(document: Data) -> None:
            nodes = document.get("nodes", [])
            if any(n.get("id") == new_id for n in nodes):
                raise EditRejected(f"another node already has the id {new_id}")
            for node in nodes:
                if node.get("id") == node_id:
                    node["id"] = new_id
                if node.get("parent") == node_id:
                    node["parent"] = new_id
            for edge in document.get("edges", []):
                for end in ("from", "to"):
                    if edge.get(end) == node_id:
                        edge[end] = new_id

        return await self.edit(store, workflow_id, change)

    async def replace_document(
        self,
        store: Store,
        workflow_id: str,
        document: Data,
        *,
        name: str | None = None,
        description: str | None = None,
        key: str | None = None,
    ) -> Draft:
        def change(current: Data) -> None:
            current.clear()
            current.update(document)

        return await self.edit(
            store, workflow_id, change, key=key, name=name, description=description
        )

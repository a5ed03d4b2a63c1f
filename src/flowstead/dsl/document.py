"""The Flowstead workflow document, format version 1: its types, parsing and dumping.

A document is plain data (YAML or JSON). Node configs stay untyped here (`dict`); each
node type's config model lives beside its executor in `engine/nodes/` and is checked by
validation, so a document with a bad config still loads and can be shown and fixed.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import msgspec
import yaml

FORMAT_VERSION = 1
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_IDS = frozenset({"sys", "env", "conversation", "item", "index", "loop"})

Mode = Literal["workflow", "chat"]
ErrorStrategy = Literal["fail", "fail_branch", "default_value"]
EnvType = Literal["string", "number", "secret"]
VarType = Literal[
    "string",
    "number",
    "boolean",
    "object",
    "array[string]",
    "array[number]",
    "array[object]",
    "array[boolean]",
    "array",
    "file",
    "array[file]",
    "any",
]


class Position(msgspec.Struct, frozen=True):
    x: float = 0.0
    y: float = 0.0


class Retry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Retry a failed node up to `max_attempts` more times, `interval` seconds apart."""

    max_attempts: int = 0
    interval: float = 1.0


class OnError(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """What a failure of this node does to the run.

    `fail` ends the run; `fail_branch` follows the node's `fail-branch` handle instead of its
    normal edges; `default_value` continues with `default` as the node's outputs."""

    strategy: ErrorStrategy = "fail"
    default: dict[str, Any] = {}


class Node(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    id: str
    type: str
    title: str = ""
    position: Position = Position()
    config: dict[str, Any] = {}
    # Set for nodes inside an iteration or loop container: the container's id.
    parent: str | None = None
    description: str = ""
    retry: Retry | None = None
    on_error: OnError | None = None
    # Seconds; None means the run's default per-node timeout.
    timeout: float | None = None


class Edge(
    msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, rename={"source": "from"}
):
    """A connection from a node's output (its default output or a named `handle`)."""

    source: str
    to: str
    handle: str | None = None


class EnvVar(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    type: EnvType = "string"
    value: str | float = ""
    description: str = ""


class ConversationVar(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    type: VarType = "string"
    default: Any = None
    description: str = ""


class Document(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    flowstead: int = FORMAT_VERSION
    name: str = ""
    description: str = ""
    mode: Mode = "workflow"
    nodes: list[Node] = []
    edges: list[Edge] = []
    environment: list[EnvVar] = []
    conversation_variables: list[ConversationVar] = []

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 also reads yes/no/on/off as booleans,
    which turns a node named `no` or a select option `off` into False."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class DocumentError(ValueError):
    """The text is not a Flowstead document: says where and why."""


def from_data(data: Any) -> Document:
    """Build a document from already-parsed data (a dict from JSON, YAML or a database)."""
    if not isinstance(data, dict):
        raise DocumentError("a workflow document must be a mapping with `nodes` and `edges`")
    version = data.get("flowstead", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise DocumentError(
            f"unsupported format version {version!r}; this Flowstead reads version {FORMAT_VERSION}"
        )
    try:
        return msgspec.convert(data, Document, str_keys=True)
    except msgspec.ValidationError as exc:
        raise DocumentError(f"invalid workflow document: {exc}") from exc


def parse(text: str | bytes) -> Document:
    """Parse a YAML or JSON document (JSON is YAML, but a JSON parser gives clearer errors)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    stripped = text.lstrip()
    try:
        data = json.loads(text) if stripped.startswith("{") else yaml.load(text, Loader=_Loader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DocumentError(f"not valid YAML or JSON: {exc}") from exc
    return from_data(data)


def to_data(document: Document) -> dict[str, Any]:
    """The document as plain data, defaults omitted, `flowstead` version always present."""
    data: dict[str, Any] = msgspec.to_builtins(document)
    data["flowstead"] = document.flowstead
    return {"flowstead": data.pop("flowstead"), **data}


def dump_yaml(document: Document) -> str:
    return yaml.safe_dump(to_data(document), sort_keys=False, allow_unicode=True, width=100)


def dump_json(document: Document) -> str:
    return json.dumps(to_data(document), ensure_ascii=False, indent=2)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the document format (node configs are described per type by the
    engine's node registry; see `flowstead.engine.schema`)."""
    return msgspec.json.schema(Document)

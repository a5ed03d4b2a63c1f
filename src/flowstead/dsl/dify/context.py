"""What node converters share: id and selector mapping, text conversion, the report."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import msgspec

from flowstead.dsl.dify import text
from flowstead.dsl.dify.ids import jinja_name, usable
from flowstead.dsl.dify.model import Needs, ReportEntry, Severity
from flowstead.dsl.document import Document, Mode
from flowstead.engine import templates
from flowstead.engine.nodes import REGISTRY

# Dify system variables whose Flowstead names differ.
SYS_IN = {"user_id": "user", "workflow_run_id": "run_id", "app_id": "workflow_id"}
SYS_OUT = {"user": "user_id", "run_id": "workflow_run_id"}
# Outputs named differently, by node type (Dify type in, Flowstead type out).
OUTPUTS_IN = {"llm": {"reasoning_content": "reasoning"}}
OUTPUTS_OUT = {"llm": {"reasoning": "reasoning_content"}}
ROOTS = ("sys", "env", "conversation")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


class ImportContext:
    """State of one import; `node_id` is the Flowstead id of the node being converted."""

    def __init__(
        self,
        ids: Mapping[str, str],
        types: Mapping[str, str],
        providers: Collection[str],
        mode: Mode,
        *,
        zero_based_turns: bool = False,
    ) -> None:
        self.mode = mode
        # Dify before 1.9 (DSL before 0.4.0) counted the first turn of a conversation as
        # `sys.dialogue_count` 0; Flowstead, like Dify 1.9 and later, counts it as 1.
        self.zero_based_turns = zero_based_turns
        # Per node: how often it reads `sys.dialogue_count`, how many of those reads are
        # conditions that hold whatever the first turn's number (moved, or unary), and
        # the nodes whose numbers were moved.
        self.turn_reads: dict[str | None, int] = {}
        self.turn_handled: dict[str | None, int] = {}
        self.turns_moved: set[str | None] = set()
        self.ids = dict(ids)
        self.types = dict(types)
        self.providers = frozenset(providers)
        self.report: list[ReportEntry] = []
        self.node_id: str | None = None
        self._missing: dict[str, str] = {}
        self._providers: dict[str, set[str]] = {}
        self._plugins: set[str] = set()
        self._knowledge_bases: set[str] = set()

    def add(self, severity: Severity, message: str, node_id: str | None = "") -> None:
        """Report on the current node (or on `node_id`; None for the whole app)."""
        where = self.node_id if node_id == "" else node_id
        self.report.append(ReportEntry(where, severity, message))

    def info(self, message: str) -> None:
        self.add("info", message)

    def warning(self, message: str) -> None:
        self.add("warning", message)

    def error(self, message: str) -> None:
        self.add("error", message)

    def need_provider(self, provider: str, model: str) -> None:
        self._providers.setdefault(provider, set()).add(model)

    def need_plugin(self, plugin: str) -> None:
        self._plugins.add(plugin)

    def need_knowledge_bases(self, ids: Collection[str]) -> None:
        self._knowledge_bases.update(ids)

    def needs(self) -> Needs:
        return Needs(
            providers={p: sorted(models) for p, models in sorted(self._providers.items())},
            plugins=sorted(self._plugins),
            knowledge_bases=sorted(self._knowledge_bases),
        )

    def selector(self, value: Any) -> str:
        """A Dify value selector (`["1711…", "text"]`) as a dotted selector (`llm.text`)."""
        if isinstance(value, str):
            parts = value.split(".")
        elif isinstance(value, Sequence):
            parts = [str(p) for p in value]
        else:
            return ""
        return ".".join(self._parts(parts)) if parts and parts[0] else ""

    def _parts(self, parts: list[str]) -> list[str]:
        root, rest = parts[0], parts[1:]
        if rest and rest[0].startswith("sys."):  # the old [start_id, "sys.query"] form
            root, rest = "sys", [*rest[0].split(".")[1:], *rest[1:]]
        if root in ("sys", "userinput"):
            if rest[:1] == ["dialogue_count"]:
                self.turn_reads[self.node_id] = self.turn_reads.get(self.node_id, 0) + 1
            return ["sys", *([SYS_IN.get(rest[0], rest[0]), *rest[1:]] if rest else [])]
        if root in ("env", "conversation"):
            return parts
        if root in self.ids:
            renames = OUTPUTS_IN.get(self.types.get(root, ""), {})
            return [self.ids[root], *([renames.get(rest[0], rest[0]), *rest[1:]] if rest else [])]
        return [self._placeholder(root, parts), *rest]

    def _placeholder(self, root: str, parts: list[str]) -> str:
        if root not in self._missing:
            taken = set(self.ids.values()) | set(self._missing.values())
            name = (
                root if usable(root) and root not in taken else f"missing_{len(self._missing) + 1}"
            )
            self._missing[root] = name
            self.warning(
                f"reads `{'.'.join(parts)}`, but the Dify file has no node `{root}`; "
                f"it now reads `{name}`, which does not exist either"
            )
        return self._missing[root]

    def text(self, value: Any) -> str:
        """Dify text with `{{#…#}}` references as a template."""
        return text.from_dify(value, self._parts_dotted) if isinstance(value, str) else ""

    def _parts_dotted(self, parts: list[str]) -> str:
        return ".".join(self._parts(parts))

    def jinja(self, body: Any, variables: Any, *, only_used: bool = False) -> str:
        """A Dify Jinja2 template with its `variables` (name -> selector) as a template that
        binds each name in a `{% set %}` prologue; `only_used` keeps the names it reads."""
        source = body if isinstance(body, str) else ""
        pairs = []
        for item in variables if isinstance(variables, list) else []:
            name = str(item.get("variable") or "") if isinstance(item, Mapping) else ""
            selector = self.selector(item.get("value_selector")) if name else ""
            if not jinja_name(name) or not selector:
                self.warning(
                    f"the template variable {name!r} has no valid name or value and was left out"
                )
                continue
            pairs.append((name, selector))
        if only_used and templates.check_syntax(source) is None:
            read = {root for root, _ in templates.references(source)}
            pairs = sorted(p for p in pairs if p[0] in read)
        return text.with_prologue(source, pairs)


class ExportContext:
    """State of one export: which node types the ids have, for output and handle names;
    `node_id` is the node being written."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.node_id = ""
        self.types = {n.id: n.type for n in document.nodes}

    def selector(self, value: str | None) -> list[str]:
        """A dotted selector as Dify's value selector list."""
        parts = [p for p in (value or "").split(".") if p]
        if not parts:
            return []
        if parts[0] == "sys" and len(parts) > 1:
            return ["sys", SYS_OUT.get(parts[1], parts[1]), *parts[2:]]
        renames = OUTPUTS_OUT.get(self.types.get(parts[0], ""), {})
        if len(parts) > 1:
            return [parts[0], renames.get(parts[1], parts[1]), *parts[2:]]
        return parts

    def value_type(self, selector: str) -> str:
        """The type of the value a selector reads (`array[file]`…), or "any" when unknown."""
        parts = selector.split(".")
        if parts[:2] == ["sys", "files"]:
            return "array[file]"
        node = self.document.node(parts[0])
        spec = REGISTRY.get(node.type) if node is not None else None
        if node is None or spec is None or len(parts) != 2:
            return "any"
        try:
            config: Any = msgspec.convert(node.config, spec.config, str_keys=True)
        except msgspec.ValidationError:
            return "any"
        return str(spec.outputs(config).get(parts[1], "any"))

    def text(self, template: str) -> str:
        return text.to_dify(template, lambda parts: ".".join(self.selector(".".join(parts))))

    def jinja(self, template: str) -> tuple[list[dict[str, Any]], str]:
        """Dify `variables` and Jinja body of a template with a `{% set %}` prologue."""
        pairs, body = text.split_prologue(template, lambda r: r in self.types or r in ROOTS)
        variables = [
            {"variable": name, "value_selector": self.selector(sel)} for name, sel in pairs
        ]
        return variables, body


def stable_id(*seed: object) -> str:
    """A deterministic UUID, so the same document always exports the same text."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "flowstead:" + "/".join(map(str, seed))))


def as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def as_float(value: Any, default: float | None) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def as_number(value: Any) -> Any:
    """Text that is a number as an int or float; anything else unchanged."""
    if isinstance(value, str) and (match := _NUMBER.fullmatch(value.strip())):
        return float(match.group()) if match.group(1) or match.group(2) else int(match.group())
    return value

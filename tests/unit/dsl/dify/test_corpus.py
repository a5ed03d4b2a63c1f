"""Every real Dify export in `../shared/dify-dsl/` imports into a valid, runnable-shaped
document, reports what needs attention, and survives export and import unchanged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from flowstead.dsl.dify import ImportResult, export_dify, import_dify
from flowstead.dsl.document import Document, from_data, to_data
from flowstead.engine import templates
from flowstead.engine.nodes import REGISTRY

CORPUS = Path(__file__).parents[4] / "../shared/dify-dsl"
FILES = sorted(CORPUS.glob("*.yml"))
pytestmark = pytest.mark.skipif(not FILES, reason=f"the Dify DSL corpus is not at {CORPUS}")

# What each file's report asks the user to look at (warnings and errors, by kind).
EXPECTED_REPORT: dict[str, set[str]] = {
    "01": {"no model"},
    "02": set(),
    "03": set(),
    "04": {
        "knowledge:70c17aae-fb0b-4e4d-9ae0-24def4b85670",
        "provider:google",
        "provider:openai_api_compatible",
    },
    "05": {"provider:openai_api_compatible"},
    "06": {"provider:openai", "vision"},
    "07": {
        "file condition:sys.files",
        "plugin:langgenius/duckduckgo",
        "provider:bedrock",
        "vision",
    },
    "10": {"provider:openai"},
    "13": {"plugin:langgenius/aws", "provider:bedrock", "vision"},
    "15": {
        "knowledge:8c4620fa-15d7-464f-9cb9-561f1a59eb3f",
        "provider:deepseek",
        "single retrieval",
    },
    "17": {"literal API key", "provider:volcengine_maas"},
    "18": {"provider:openai", "vision"},
    "21": {"provider:openai", "vision"},
    "23": {"provider:tongyi"},
    "25": {
        "knowledge:be517915-1dd5-4d09-a67d-4d5e4e4b21a8",
        "provider:deepseek",
        "provider:tongyi",
        "single retrieval",
        "vision",
    },
    "26": {"plugin:langgenius/mineru", "provider:openai_api_compatible"},
    "28": {
        "plugin:hjlarry/database",
        "plugin:kalochin/pdf_process",
        "provider:openai_api_compatible",
        "vision",
    },
    "29": {
        "plugin:bowenliang123/md_exporter",
        "plugin:hjlarry/database",
        "provider:modelscope",
        "provider:volcengine_maas",
    },
    "33": {
        "plugin:kalochin/pdf_process",
        "provider:openai_api_compatible",
        "provider:tongyi",
        "vision",
    },
    "37": {"provider:openai_api_compatible", "vision"},
    "39": {
        "provider:google",
        "provider:openai_api_compatible",
        "provider:siliconflow",
        "provider:volcengine_maas",
    },
    "42": {"provider:siliconflow"},
    "44": {"provider:siliconflow"},
}
_KINDS = [
    (r"model provider '([^']+)' is not configured", "provider:{}"),
    (r"comes from the Dify plugin '([^']+)'", "plugin:{}"),
    (r"the Dify knowledge bases (.+) were kept by id", "knowledge:{}"),
    (r"^vision is on", "vision"),
    (r"^no model is chosen", "no model"),
    (r"\(single retrieval\)", "single retrieval"),
    (r"the API key is written into the workflow", "literal API key"),
    (r"looks inside the files of `([^`]+)`", "file condition:{}"),
]

# What validation finds in each file beyond the report (validation does not yet know which
# providers, plugins and knowledge bases exist).
EXPECTED_ISSUES: dict[str, set[tuple[str, str | None]]] = {
    # An Answer inside an iteration, which Flowstead does not allow.
    "28": {("bad_parent", "answer_2")},
    # The Dify file reads `marketType` from a Start node that has no such input.
    "39": {("missing_reference", "http"), ("missing_reference", "if_else_2")},
}

# Names a template may read that are not nodes: Jinja's own, and an LLM prompt's context.
_JINJA_NAMES = {"loop", "range", "dict", "namespace", "lipsum", "cycler", "joiner"}


def key(path: Path) -> str:
    return path.name[:2]


@pytest.fixture(scope="module", params=FILES, ids=key)
def imported(request: pytest.FixtureRequest) -> tuple[str, ImportResult]:
    return key(request.param), import_dify(request.param.read_bytes())


def test_every_corpus_file_is_in_the_tables() -> None:
    assert sorted(map(key, FILES)) == sorted(EXPECTED_REPORT)


def test_the_document_is_valid_data(imported: tuple[str, ImportResult]) -> None:
    _, result = imported
    assert from_data(to_data(result.document)) == result.document
    for node in result.document.nodes:
        msgspec.convert(node.config, REGISTRY[node.type].config, str_keys=True)


def test_the_report(imported: tuple[str, ImportResult]) -> None:
    name, result = imported
    assert {_kind(e.message) for e in result.report if e.severity != "info"} == (
        EXPECTED_REPORT[name]
    )


def test_needs_sum_up_the_report(imported: tuple[str, ImportResult]) -> None:
    name, result = imported
    expected: dict[str, set[str]] = {"provider": set(), "plugin": set(), "knowledge": set()}
    for kind in EXPECTED_REPORT[name]:
        what, _, subject = kind.partition(":")
        if what in expected:
            expected[what] |= set(subject.split(", "))
    assert set(result.needs.providers) == expected["provider"]
    assert set(result.needs.plugins) == expected["plugin"]
    assert set(result.needs.knowledge_bases) == expected["knowledge"]
    assert all(result.needs.providers.values())


def _kind(message: str) -> str:
    for pattern, kind in _KINDS:
        if match := re.search(pattern, message):
            return kind.format(*match.groups())
    return message


def test_templates_compile_and_read_what_exists(imported: tuple[str, ImportResult]) -> None:
    _, result = imported
    document = result.document
    ids = {n.id for n in document.nodes}
    env = {v.name for v in document.environment}
    conversation = {v.name for v in document.conversation_variables}
    for node in document.nodes:
        config = msgspec.convert(node.config, REGISTRY[node.type].config, str_keys=True)
        roots = ids | {"sys", "env", "conversation"}
        for source in _templates(node.type, config):
            assert templates.check_syntax(source) is None, (node.id, source)
            allowed = roots | _JINJA_NAMES | ({"context"} if node.type == "llm" else set())
            for root, attr in templates.references(source):
                assert root in allowed, (node.id, source)
                assert _known(root, attr, env, conversation), (node.id, source)
        for selector in _selectors(node.type, config):
            root, _, attr = selector.partition(".")
            assert root in roots, (node.id, selector)
            assert _known(root, attr.split(".")[0], env, conversation), (node.id, selector)


def _known(root: str, attr: str | None, env: set[str], conversation: set[str]) -> bool:
    return (root != "env" or attr in env) and (root != "conversation" or attr in conversation)


def _templates(node_type: str, c: Any) -> Iterator[str]:
    """The text fields of a config that are templates."""
    if node_type == "answer":
        yield c.text
    elif node_type == "llm":
        yield c.system
        yield from (m.text for m in c.messages)
    elif node_type == "template":
        yield c.template
    elif node_type in ("question_classifier", "parameter_extractor"):
        yield c.instruction
    elif node_type == "http":
        yield from (c.url, c.body.content, c.auth.token, c.auth.username, c.auth.password)
        yield from (t for p in [*c.headers, *c.params] for t in (p.key, p.value))
        yield from (f.key if f.type == "file" else f.value for f in c.body.fields)
    elif node_type == "tool":
        yield from (v for v in c.parameters.values() if isinstance(v, str))
    for condition in _conditions(node_type, c):
        if isinstance(condition.value, str):
            yield condition.value


def _conditions(node_type: str, c: Any) -> Iterator[Any]:
    if node_type == "if_else":
        yield from (cond for case in c.cases for cond in case.conditions)
    elif node_type == "loop":
        yield from c.break_conditions
    elif node_type == "list_operator" and c.filter is not None:
        yield from c.filter.conditions


def _selectors(node_type: str, c: Any) -> Iterator[str]:
    """The selectors a config reads (empty ones are unset fields)."""
    found: list[str] = []
    if node_type in ("end", "code"):
        found = [m.value for m in (c.outputs if node_type == "end" else c.inputs)]
    elif node_type == "llm":
        found = [c.context or ""]
    elif node_type in ("question_classifier", "parameter_extractor", "knowledge_retrieval"):
        found = [c.query]
    elif node_type == "variable_aggregator":
        found = [*c.variables, *(v for g in c.groups for v in g.variables)]
    elif node_type == "variable_assigner":
        found = [i.variable for i in c.items]
        found += [i.value for i in c.items if i.input_type == "variable" and i.value is not None]
    elif node_type == "iteration":
        found = [c.items, c.output]
    elif node_type == "loop":
        found = [v.value for v in c.variables if v.value_type == "variable"]
    elif node_type in ("list_operator", "document_extractor"):
        found = [c.variable]
    elif node_type == "http":
        found = [f.value for f in c.body.fields if f.type == "file"]
    if node_type != "list_operator":
        found += [cond.variable for cond in _conditions(node_type, c)]
    return (s for s in found if s)


def test_export_then_import_gives_the_same_document(imported: tuple[str, ImportResult]) -> None:
    _, result = imported
    again = import_dify(export_dify(result.document))
    _assert_same(again.document, result.document)
    assert again.ids == {n.id: n.id for n in result.document.nodes}


def _assert_same(actual: Document, expected: Document) -> None:
    """Equal documents, compared node by node first for a readable failure."""
    for got, want in zip(actual.nodes, expected.nodes, strict=True):
        assert got == want
    assert actual == expected


def test_validation_finds_only_the_known_issues(imported: tuple[str, ImportResult]) -> None:
    validation = pytest.importorskip("flowstead.engine.validation")
    name, result = imported
    issues = {(i.code, i.node_id) for i in validation.validate(result.document)}
    assert issues == EXPECTED_ISSUES.get(name, set())

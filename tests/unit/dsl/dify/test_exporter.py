"""Export to Dify DSL: the shape Dify reads, and import(export(doc)) == doc."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from flowstead.dsl.dify import DifyExportError, export_dify, import_dify
from flowstead.dsl.document import Document, EnvVar, parse
from tests.unit.dsl.dify.builders import START, dsl, edge, node

MODEL = {"provider": "openai", "name": "gpt-4o", "completion_params": {"temperature": 0.3}}
Q = ["1711528914102", "question"]
KITCHEN_SINK = [
    START,
    node(
        "2",
        "llm",
        model=MODEL,
        memory={"window": {"enabled": True, "size": 5}},
        context={"enabled": True, "variable_selector": ["12", "result"]},
        prompt_template=[
            {"role": "system", "text": "Use {{#context#}} {{x}}"},
            {"role": "user", "edition_type": "jinja2", "jinja2_text": "{{ q | upper }}"},
        ],
        prompt_config={"jinja2_variables": [{"variable": "q", "value_selector": Q}]},
    ),
    node(
        "3",
        "if-else",
        cases=[
            {
                "case_id": "true",
                "conditions": [
                    {
                        "variable_selector": ["2", "text"],
                        "comparison_operator": "≥",
                        "value": "2",
                        "varType": "number",
                    }
                ],
            },
            {
                "case_id": "c2",
                "logical_operator": "or",
                "conditions": [
                    {
                        "variable_selector": ["2", "text"],
                        "comparison_operator": "in",
                        "value": ["a", "b"],
                    }
                ],
            },
        ],
    ),
    node(
        "4",
        "code",
        code="def main(): ...",
        variables=[{"variable": "t", "value_selector": Q}],
        outputs={"items": {"type": "array[string]"}},
        error_strategy="default-value",
        default_value=[{"key": "items", "type": "array[string]", "value": '["x"]'}],
        retry_config={"retry_enabled": True, "max_retries": 2, "retry_interval": 500},
    ),
    node(
        "5",
        "iteration",
        iterator_selector=["4", "items"],
        output_selector=["6", "output"],
        is_parallel=True,
        parallel_nums=3,
        error_handle_mode="remove-abnormal-output",
    ),
    node("5start", "iteration-start", parent="5"),
    node(
        "6",
        "template-transform",
        parent="5",
        template="{{ it }}!",
        variables=[{"variable": "it", "value_selector": ["5", "item"]}],
    ),
    node(
        "7",
        "http-request",
        method="post",
        url="https://x.test",
        headers="A:b",
        params="",
        timeout={"connect": 3},
        error_strategy="fail-branch",
        authorization={"type": "api-key", "config": {"type": "basic", "api_key": "u:p"}},
        body={
            "type": "form-data",
            "data": [{"key": "f", "type": "file", "file": ["sys", "files"]}],
        },
    ),
    node(
        "8",
        "tool",
        provider_id="langgenius/tavily/tavily",
        provider_type="builtin",
        tool_name="tavily_search",
        tool_configurations={"depth": "basic"},
        tool_parameters={"query": {"type": "variable", "value": Q}},
    ),
    node(
        "9",
        "loop",
        loop_count=4,
        loop_variables=[
            {"label": "seen", "var_type": "array[string]", "value_type": "constant", "value": "[]"}
        ],
        break_conditions=[{"variable_selector": ["9", "seen"], "comparison_operator": "not empty"}],
    ),
    node("9start", "loop-start", parent="9"),
    node(
        "10",
        "assigner",
        parent="9",
        version="2",
        items=[
            {
                "variable_selector": ["9", "seen"],
                "operation": "append",
                "input_type": "variable",
                "value": ["sys", "query"],
            }
        ],
    ),
    node(
        "11",
        "list-operator",
        variable=["sys", "files"],
        filter_by={
            "enabled": True,
            "conditions": [{"key": "type", "comparison_operator": "in", "value": ["image"]}],
        },
        order_by={"enabled": False},
        limit={"enabled": True, "size": 2},
    ),
    node(
        "12",
        "knowledge-retrieval",
        dataset_ids=["kb"],
        query_variable_selector=["sys", "query"],
        multiple_retrieval_config={"top_k": 3},
    ),
    node(
        "13",
        "variable-aggregator",
        output_type="string",
        variables=[["2", "text"]],
        advanced_settings={
            "group_enabled": True,
            "groups": [{"group_name": "G", "output_type": "string", "variables": [["2", "text"]]}],
        },
    ),
    node(
        "14",
        "question-classifier",
        model=MODEL,
        query_variable_selector=["sys", "query"],
        classes=[{"id": "1", "name": "A"}],
    ),
    node(
        "15",
        "parameter-extractor",
        model=MODEL,
        query=Q,
        reasoning_mode="function_call",
        parameters=[{"name": "ok", "type": "bool"}],
    ),
    node("16", "document-extractor", variable_selector=["sys", "files"]),
    node(
        "17",
        "agent",
        agent_strategy_provider_name="langgenius/agent/agent",
        agent_strategy_name="react",
        agent_parameters={},
    ),
    node("18", "answer", answer="{{#2.text#}} {{#13.G.output#}}"),
]
EDGES = [
    edge("1711528914102", "2"),
    edge("2", "3"),
    edge("3", "4", "true"),
    edge("3", "7", "false"),
    edge("3", "18", "c2"),
    edge("4", "5"),
    edge("5start", "6"),
    edge("7", "18", "fail-branch"),
    edge("9start", "10"),
]
VARIABLES = {
    "environment_variables": [
        {"name": "TOKEN", "value_type": "secret", "value": "s3cret"},
        {"name": "N", "value_type": "number", "value": 2},
    ],
    "conversation_variables": [{"name": "log", "value_type": "array[string]", "value": []}],
}


@pytest.fixture(scope="module")
def document() -> Document:
    text = dsl(*KITCHEN_SINK, edges=EDGES, mode="advanced-chat", **VARIABLES)
    return import_dify(text).document


def test_every_node_type_round_trips(document: Document) -> None:
    again = import_dify(export_dify(document, include_secrets=True)).document
    for got, want in zip(again.nodes, document.nodes, strict=True):
        assert got == want
    assert again == document


def exported(document: Document, **kwargs: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(export_dify(document, **kwargs))
    return data


def test_the_app_around_the_graph(document: Document) -> None:
    data = exported(document)
    assert (data["kind"], data["version"]) == ("app", "0.3.1")
    assert data["app"]["mode"] == "advanced-chat"
    assert data["workflow"]["environment_variables"][0] | {"id": ""} == {
        "id": "",
        "name": "TOKEN",
        "value_type": "secret",
        "value": "",
        "description": "",
        "selector": ["env", "TOKEN"],
    }
    assert (
        exported(document, include_secrets=True)["workflow"]["environment_variables"][0]["value"]
        == "s3cret"
    )


def graph(document: Document) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = exported(document)["workflow"]["graph"]
    return {n["id"]: n for n in data["nodes"]}, data["edges"]


def test_nodes_keep_their_ids_and_take_dify_shapes(document: Document) -> None:
    nodes, _ = graph(document)
    llm = nodes["llm"]["data"]
    assert llm["type"] == "llm"
    assert llm["prompt_template"][0] == {"role": "system", "text": "Use {{#context#}} {{x}}"}
    assert llm["prompt_template"][1]["edition_type"] == "jinja2"
    assert llm["prompt_config"] == {
        "jinja2_variables": [{"variable": "q", "value_selector": ["start", "question"]}]
    }
    assert llm["memory"]["window"] == {"enabled": True, "size": 5}
    assert nodes["code"]["data"]["error_strategy"] == "default-value"
    assert nodes["code"]["data"]["default_value"] == [
        {"key": "items", "type": "array[string]", "value": '["x"]'}
    ]
    assert nodes["code"]["data"]["retry_config"] == {
        "retry_enabled": True,
        "max_retries": 2,
        "retry_interval": 500,
    }
    assert nodes["http"]["data"]["authorization"] == {
        "type": "api-key",
        "config": {"type": "basic", "api_key": "u:p"},
    }
    assert nodes["tavily_search"]["data"]["provider_id"] == "langgenius/tavily/tavily"
    assert nodes["agent"]["data"]["type"] == "tool"


def test_containers_get_start_nodes_and_children_know_their_parent(document: Document) -> None:
    nodes, edges = graph(document)
    assert nodes["iteration"]["data"]["start_node_id"] == "iterationstart"
    assert nodes["iterationstart"]["type"] == "custom-iteration-start"
    assert nodes["template"]["parentId"] == "iteration"
    assert nodes["template"]["data"]["isInIteration"] is True
    assert nodes["loop_1"]["data"]["start_node_id"] == "loop_1start"
    assert nodes["assigner"]["data"]["loop_id"] == "loop_1"
    starts = {
        (e["source"], e["target"])
        for e in edges
        if e["data"]["sourceType"] in ("iteration-start", "loop-start")
    }
    assert starts == {("iterationstart", "template"), ("loop_1start", "assigner")}


def test_branch_handles(document: Document) -> None:
    _, edges = graph(document)
    handles = {(e["source"], e["target"]): e["sourceHandle"] for e in edges}
    assert handles[("if_else", "code")] == "true"
    assert handles[("if_else", "http")] == "false"
    assert handles[("if_else", "answer")] == "c2"
    assert handles[("http", "answer")] == "fail-branch"
    assert handles[("start", "llm")] == "source"


NATIVE = """
name: native
nodes:
  - {id: start, type: start, config: {inputs: [{name: topic}]}}
  - id: llm
    type: llm
    config:
      model: {provider: openai, name: gpt-4o}
      messages: [{role: user, text: "{% if start.topic %}{{ start.topic }}{% endif %}"}]
  - {id: end, type: end, config: {outputs: [{name: text, value: llm.reasoning}]}}
edges:
  - {from: start, to: llm}
  - {from: llm, to: end}
"""


def test_a_flowstead_document_exports_and_comes_back() -> None:
    document = parse(NATIVE)
    nodes, _ = graph(document)
    assert nodes["llm"]["data"]["prompt_template"][1]["edition_type"] == "jinja2"
    assert nodes["end"]["data"]["outputs"] == [
        {"variable": "text", "value_selector": ["llm", "reasoning_content"]}
    ]
    again = import_dify(export_dify(document)).document
    assert again.nodes[1].config["messages"] == document.nodes[1].config["messages"]
    assert again.nodes[2].config == document.nodes[2].config


def test_invalid_settings_name_the_node() -> None:
    document = parse(NATIVE.replace("name: gpt-4o", "name: 4"))
    with pytest.raises(DifyExportError, match="node `llm`: its settings are invalid"):
        export_dify(document)


def test_environment_numbers_and_strings() -> None:
    document = Document(environment=[EnvVar("N", "number", 2.5), EnvVar("S", "string", "x")])
    assert import_dify(export_dify(document)).document.environment == document.environment


@pytest.mark.parametrize(
    ("tool", "provider_id"),
    [
        ("current_time", "langgenius/time/time"),
        ("web_fetch", "langgenius/webscraper/webscraper"),
        ("http_get_json", "builtin"),
        ("searxng_search", "langgenius/searxng/searxng"),
        ("wikipedia_search", "langgenius/wikipedia/wikipedia"),
    ],
)
def test_built_in_tools_export_as_their_dify_tool(tool: str, provider_id: str) -> None:
    document = parse(f"nodes: [{{id: t, type: tool, config: {{tool: {tool}}}}}]")
    nodes, _ = graph(document)
    assert nodes["t"]["data"]["provider_id"] == provider_id
    assert import_dify(export_dify(document)).document.nodes == document.nodes


def test_searxng_categories_export_as_difys_search_type_and_come_back() -> None:
    document = parse(
        "nodes: [{id: t, type: tool, config: {tool: searxng_search, parameters: "
        "{query: '{{ sys.query }}', categories: news, language: fr, num_results: 3}}}]"
    )
    nodes, _ = graph(document)
    assert nodes["t"]["data"]["tool_parameters"] == {
        "query": {"type": "variable", "value": ["sys", "query"]},
        "search_type": {"type": "mixed", "value": "news"},
        "language": {"type": "mixed", "value": "fr"},
        "num_results": {"type": "constant", "value": 3},
    }
    assert import_dify(export_dify(document)).document.nodes == document.nodes

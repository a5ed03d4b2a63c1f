"""Dify agent nodes: a Flowstead agent when its strategy and tools carry over, else today's
tool node naming what is missing."""

from __future__ import annotations

from typing import Any

import yaml

from flowstead.dsl.dify import export_dify, import_dify
from flowstead.engine.validation import validate
from tests.unit.dsl.dify.builders import config, imported, messages, node

DSL = """
app: {name: Agent, mode: advanced-chat}
kind: app
version: 0.1.5
workflow:
  graph:
    edges:
      - {source: '1739781961838', sourceHandle: source, target: '1739781971571'}
      - {source: '1739781971571', sourceHandle: source, target: answer}
    nodes:
      - id: '1739781961838'
        data: {type: start, title: Start, variables: []}
      - id: '1739781971571'
        data:
          type: agent
          title: Agent
          agent_strategy_provider_name: langgenius/agent/agent
          agent_strategy_name: function_calling
          agent_strategy_label: FunctionCalling
          plugin_unique_identifier: langgenius/agent:0.0.9@f16916b7
          agent_parameters:
            model:
              type: constant
              value:
                provider: langgenius/openai/openai
                model: gpt-4o-mini
                mode: chat
                completion_params: {temperature: 0.2}
                model_type: llm
                type: model-selector
            instruction: {type: constant, value: Answer with the tools you have.}
            query: {type: constant, value: '{{#sys.query#}}'}
            maximum_iterations: {type: constant, value: 3}
            tools:
              type: constant
              value:
                - enabled: true
                  provider_name: time
                  tool_name: current_time
                  type: builtin
                  parameters: {}
                  settings:
                    format: {value: '%Y-%m-%d %H:%M:%S'}
                    timezone: {value: Asia/Shanghai}
                - enabled: false
                  provider_name: langgenius/openweather/openweather
                  tool_name: weather
                  type: builtin
                  parameters: {city: {auto: 1, value: null}}
          memory:
            window: {enabled: true, size: 4}
      - id: answer
        data: {type: answer, title: Answer, answer: '{{#1739781971571.text#}}'}
"""


def test_a_function_calling_agent_with_mapped_tools_becomes_an_agent() -> None:
    result = import_dify(DSL, providers=["openai"])

    agent = result.document.node("agent")
    assert agent is not None
    assert agent.type == "agent"
    assert agent.config == {
        "model": {"provider": "openai", "name": "gpt-4o-mini", "temperature": 0.2},
        "instruction": "Answer with the tools you have.",
        "query": "{{ sys.query }}",
        "tools": [
            {
                "name": "current_time",
                "parameters": {"format": "%Y-%m-%d %H:%M:%S", "timezone": "Asia/Shanghai"},
            }
        ],
        "max_iterations": 3,
        "memory": {"window": 4},
    }
    assert messages(result, "agent") == [
        "1 disabled tool was left out",
        "Dify's 'current_time' tool became the built-in tool 'current_time'",
    ]
    assert result.needs.plugins == []
    answer = result.document.node("answer")
    assert answer is not None
    assert answer.config["text"] == "{{ agent.text }}"
    assert validate(result.document) == []


def test_an_unmapped_plugin_tool_keeps_the_tool_node_naming_what_is_missing() -> None:
    text = DSL.replace("enabled: false", "enabled: true")

    result = import_dify(text, providers=["openai"])

    agent = result.document.node("agent")
    assert agent is not None
    assert agent.type == "tool"
    assert agent.config["provider"] == "langgenius/agent"
    assert agent.config["tool"] == "function_calling"
    assert result.needs.plugins == ["langgenius/agent", "langgenius/openweather"]
    said = messages(result, "agent")
    assert said[0] == (
        "its tools include ones Flowstead does not have: 'weather' (langgenius/openweather)"
    )
    assert said[1].startswith(
        "this agent uses the strategy 'function_calling' of the Dify plugin 'langgenius/agent'"
    )


def agent(strategy: str = "function_calling", **params: Any) -> dict[str, Any]:
    question = {"type": "mixed", "value": "{{#1711528914102.question#}}"}
    tools = [
        {
            "enabled": True,
            "provider_name": "langgenius/webscraper/webscraper",
            "tool_name": "webscraper",
            "type": "builtin",
            "parameters": {"url": {"auto": 0, "value": question}},
            "settings": {"user_agent": {"value": "bot"}},
        }
    ]
    return node(
        "2",
        "agent",
        agent_strategy_provider_name="langgenius/agent/agent",
        agent_strategy_name=strategy,
        agent_parameters={
            "model": {"type": "constant", "value": {"provider": "ollama", "name": "qwen3"}},
            "query": {"type": "variable", "value": ["1711528914102", "question"]},
            "tools": {"type": "constant", "value": tools},
            **params,
        },
    )


def test_react_fixed_parameters_and_variables() -> None:
    result = imported(agent("ReAct", maximum_iterations={"type": "constant", "value": 500}))

    assert config(result, "2") == {
        "model": {"provider": "ollama", "name": "qwen3"},
        "query": "{{ start.question }}",
        "tools": [{"name": "web_fetch", "parameters": {"url": "{{ start.question }}"}}],
        "max_iterations": 50,
    }
    said = messages(result, "agent")
    assert said[0].startswith("Dify's ReAct strategy became function calling")
    assert said[-1] == (
        "Dify's 'webscraper' tool became the built-in tool 'web_fetch'; settings it does "
        "not have were dropped: user_agent"
    )


def test_another_strategy_plugin_keeps_the_tool_node() -> None:
    raw = agent()
    raw["data"]["agent_strategy_provider_name"] = "junjiem/mcp_sse_agent/mcp_sse_agent"

    result = imported(raw)

    assert result.document.nodes[1].type == "tool"
    assert config(result, "2")["provider"] == "junjiem/mcp_sse_agent"
    assert result.needs.plugins == ["junjiem/mcp_sse_agent"]


def test_tool_settings_are_read_as_a_tool_nodes_would_be() -> None:
    searxng = {
        "enabled": True,
        "provider_name": "langgenius/searxng/searxng",
        "tool_name": "searxng_search",
        "type": "builtin",
        "parameters": {"query": {"auto": 1, "value": None}},
        "settings": {"search_type": {"value": "page"}},
    }
    raw = agent()
    raw["data"]["agent_parameters"]["tools"]["value"] = [searxng]

    result = imported(raw)

    assert config(result, "2")["tools"] == [
        {"name": "searxng_search", "parameters": {"categories": "general"}}
    ]


def test_an_agent_exports_as_difys_function_calling_agent_and_imports_again() -> None:
    first = import_dify(DSL, providers=["openai"]).document
    agent = first.node("agent")
    assert agent is not None
    agent.config["tools"].append(
        {"name": "http_get_json", "parameters": {"url": "{{ sys.query }}"}}
    )

    exported = yaml.safe_load(export_dify(first))
    [data] = [
        n["data"] for n in exported["workflow"]["graph"]["nodes"] if n["data"]["type"] == "agent"
    ]
    assert (data["agent_strategy_provider_name"], data["agent_strategy_name"]) == (
        "langgenius/agent/agent",
        "function_calling",
    )
    tools = data["agent_parameters"]["tools"]["value"]
    assert [(t["provider_name"], t["tool_name"]) for t in tools] == [
        ("langgenius/time/time", "current_time"),
        ("builtin", "http_get_json"),
    ]
    variable = {"type": "variable", "value": ["sys", "query"]}
    assert tools[1]["parameters"] == {"url": {"auto": 0, "value": variable}}

    again = import_dify(export_dify(first), providers=["openai"]).document.node("agent")
    assert again is not None
    assert again.config == agent.config

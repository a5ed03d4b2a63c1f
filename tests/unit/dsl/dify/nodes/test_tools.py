"""Tools, agents and knowledge retrieval."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.dsl.dify.builders import config, imported, messages, node


def tool(**data: Any) -> dict[str, Any]:
    defaults = {
        "provider_id": "tavily",
        "provider_name": "tavily",
        "provider_type": "builtin",
        "tool_name": "tavily_search",
        "tool_label": "Tavily",
        "tool_configurations": {},
        "tool_parameters": {},
    }
    return node("2", "tool", **(defaults | data))


def test_tool_parameters_of_every_kind() -> None:
    result = imported(
        tool(
            tool_configurations={"max_results": 5, "depth": "basic {{x}}", "engine": None},
            tool_parameters={
                "query": {"type": "mixed", "value": "about {{#1711528914102.question#}}"},
                "file": {"type": "variable", "value": ["1711528914102", "doc"]},
                "limit": {"type": "constant", "value": 3},
            },
        )
    )
    assert config(result, "2") == {
        "provider": "langgenius/tavily",
        "tool": "tavily_search",
        "parameters": {
            "max_results": 5,
            "depth": "basic {% raw %}{{{% endraw %}x}}",
            "engine": None,
            "query": "about {{ start.question }}",
            "file": "{{ start.doc }}",
            "limit": 3,
        },
    }
    assert result.ids["2"] == "tavily_search"
    assert messages(result) == [
        "tool 'tavily_search' comes from the Dify plugin "
        "'langgenius/tavily', which Flowstead does not have"
    ]


@pytest.mark.parametrize(
    ("data", "provider"),
    [
        ({"provider_id": "langgenius/tavily/tavily"}, "langgenius/tavily"),
        ({"plugin_unique_identifier": "langgenius/tavily:0.0.5@abc"}, "langgenius/tavily"),
        ({"provider_id": "hjlarry/database/database"}, "hjlarry/database"),
        ({"provider_id": "6a1b", "provider_type": "api", "provider_name": "weather"}, "api:6a1b"),
    ],
)
def test_plugin_ids(data: dict[str, Any], provider: str) -> None:
    assert config(imported(tool(**data)), "2")["provider"] == provider


def test_workspace_tools_say_what_they_were() -> None:
    result = imported(tool(provider_id="6a1b", provider_type="workflow", provider_name="summary"))
    assert messages(result) == [
        "tool 'tavily_search' is a workflow tool ('summary') of the Dify "
        "workspace, which Flowstead does not have"
    ]


def test_agent_becomes_a_tool_naming_its_strategy_plugin() -> None:
    result = imported(
        node(
            "2",
            "agent",
            agent_strategy_provider_name="langgenius/agent/agent",
            agent_strategy_name="function_calling",
            agent_strategy_label="FunctionCalling",
            agent_parameters={
                "query": {"type": "mixed", "value": "{{#sys.query#}}"},
                "maximum_iterations": {"type": "constant", "value": 3},
            },
        )
    )
    assert result.ids["2"] == "agent"
    assert config(result, "2") == {
        "provider": "langgenius/agent",
        "tool": "function_calling",
        "parameters": {"query": "{{ sys.query }}", "maximum_iterations": 3},
    }
    assert messages(result)[0].startswith(
        "this agent uses the strategy 'function_calling' of the Dify plugin 'langgenius/agent'"
    )


def test_knowledge_retrieval() -> None:
    result = imported(
        node(
            "2",
            "knowledge-retrieval",
            dataset_ids=["d-1", "d-2"],
            retrieval_mode="multiple",
            query_variable_selector=["1711528914102", "question"],
            multiple_retrieval_config={
                "top_k": 6,
                "score_threshold": 0.5,
                "reranking_enable": True,
            },
            metadata_filtering_mode="manual",
        ),
        node(
            "3",
            "knowledge-retrieval",
            dataset_ids=["d-3"],
            retrieval_mode="single",
            query_variable_selector=["sys", "query"],
            single_retrieval_config={},
        ),
    )
    assert config(result, "2") == {
        "query": "start.question",
        "knowledge_bases": ["d-1", "d-2"],
        "top_k": 6,
        "score_threshold": 0.5,
    }
    assert config(result, "3") == {"knowledge_bases": ["d-3"]}
    assert messages(result, "retrieval") == [
        "the reranking settings were not carried over",
        "the metadata filters were not carried over; set them again",
        "the Dify knowledge bases d-1, d-2 were kept by id; map each to a Flowstead knowledge "
        "base by name",
    ]
    assert messages(result, "retrieval_2")[0] == (
        "Dify let a model pick one knowledge base (single retrieval); Flowstead searches all of "
        "them"
    )


def test_dify_tools_flowstead_has_built_in() -> None:
    time = {"format": "%H:%M", "timezone": "UTC"}
    scraper = {"url": {"type": "mixed", "value": "{{#sys.query#}}"}}
    result = imported(
        tool(provider_id="time", tool_name="current_time", tool_configurations=time),
        node(
            "3",
            "tool",
            provider_id="langgenius/webscraper/webscraper",
            provider_type="builtin",
            tool_name="webscraper",
            tool_parameters=scraper,
            tool_configurations={"user_agent": "x", "generate_summary": None},
        ),
    )
    assert config(result, "2") == {"tool": "current_time", "parameters": time}
    assert config(result, "3") == {"tool": "web_fetch", "parameters": {"url": "{{ sys.query }}"}}
    assert [e.severity for e in result.report] == ["info", "info"]
    assert messages(result)[1] == (
        "Dify's 'webscraper' tool became the built-in tool 'web_fetch'; settings it does not "
        "have were dropped: generate_summary, user_agent"
    )


def test_needs_name_missing_plugins_and_knowledge_bases_but_not_built_in_tools() -> None:
    result = imported(
        tool(),
        node(
            "3",
            "tool",
            provider_id="time",
            provider_type="builtin",
            tool_name="current_time",
            tool_parameters={},
        ),
        node("4", "tool", provider_id="6a1b", provider_type="api", tool_name="weather"),
        node("5", "knowledge-retrieval", dataset_ids=["kb-2", "kb-1"]),
        node("6", "knowledge-retrieval", dataset_ids=["kb-1"]),
    )
    assert result.needs.plugins == ["api:6a1b", "langgenius/tavily"]
    assert result.needs.knowledge_bases == ["kb-1", "kb-2"]
    assert result.needs.providers == {}


def test_searxng_wikipedia_and_jina_become_built_in_tools() -> None:
    query = {"type": "mixed", "value": "{{#sys.query#}}"}
    result = imported(
        tool(
            provider_id="searxng",
            tool_name="searxng_search",
            tool_parameters={"query": query},
            tool_configurations={"num_results": 1, "result_type": "link", "search_type": "Page"},
        ),
        node(
            "3",
            "tool",
            provider_id="langgenius/wikipedia/wikipedia",
            provider_type="builtin",
            tool_name="wikipedia_search",
            tool_parameters={"query": query, "language": {"type": "mixed", "value": "English"}},
        ),
        node(
            "4",
            "tool",
            provider_id="jina",
            provider_type="builtin",
            tool_name="jina_reader",
            tool_parameters={"url": query, "request_params": {"type": "mixed", "value": ""}},
            tool_configurations={"summary": 1, "no_cache": 0, "proxy_server": None},
        ),
    )
    assert config(result, "2") == {
        "tool": "searxng_search",
        "parameters": {"num_results": 1, "categories": "general", "query": "{{ sys.query }}"},
    }
    assert config(result, "3") == {
        "tool": "wikipedia_search",
        "parameters": {"query": "{{ sys.query }}", "language": "en"},
    }
    assert config(result, "4") == {"tool": "web_fetch", "parameters": {"url": "{{ sys.query }}"}}
    assert result.needs.plugins == []
    assert [e.severity for e in result.report] == ["info", "info", "info"]
    assert messages(result) == [
        "Dify's 'searxng_search' tool became the built-in tool 'searxng_search'; settings it "
        "does not have were dropped: result_type",
        "Dify's 'wikipedia_search' tool became the built-in tool 'wikipedia_search'",
        "Dify's 'jina_reader' tool became the built-in tool 'web_fetch'; settings it does not "
        "have were dropped: no_cache, proxy_server, request_params, summary",
    ]


@pytest.mark.parametrize(
    ("settings", "parameters"),
    [
        ({"search_type": "news", "time_range": "None"}, {"categories": "news"}),
        (
            {"search_type": "social_media", "time_range": "month"},
            {"categories": "social media", "time_range": "month"},
        ),
        ({"search_type": "Image", "engines": "bing"}, {"categories": "images", "engines": "bing"}),
        (
            {"search_type": {"type": "variable", "value": ["sys", "query"]}},
            {"categories": "{{ sys.query }}"},
        ),
    ],
)
def test_searxng_settings_of_dify_versions(
    settings: dict[str, Any], parameters: dict[str, Any]
) -> None:
    result = imported(
        tool(
            provider_id="langgenius/searxng/searxng",
            tool_name="searxng_search",
            tool_configurations=settings,
        )
    )
    assert config(result, "2")["parameters"] == parameters

"""Validation of agent nodes: their tools, and what their templates read."""

from __future__ import annotations

from flowstead.dsl.document import parse
from flowstead.engine.tools import BUILTIN_TOOLS
from flowstead.engine.validation import Issue, validate

AGENT = """
name: agent
nodes:
  - {id: start, type: start, config: {inputs: [{name: question}]}}
  - id: agent
    type: agent
    config:
      model: {provider: openai, name: gpt-4o-mini}
      instruction: Answer briefly.
      query: "{{ start.question }}"
      tools: TOOLS
  - {id: end, type: end, config: {outputs: [{name: answer, value: agent.text}]}}
edges:
  - {from: start, to: agent}
  - {from: agent, to: end}
"""


def issues_with(tools: str, text: str = AGENT) -> list[Issue]:
    return validate(parse(text.replace("TOOLS", tools)))


def test_an_agent_with_built_in_tools_is_valid() -> None:
    tools = (
        "[{name: current_time, parameters: {timezone: '{{ start.question }}'}}, {name: web_fetch}]"
    )
    assert issues_with(tools) == []


def test_an_unknown_tool_is_named() -> None:
    (issue,) = issues_with("[{name: current_time}, {name: teleport}]")
    known = ", ".join(BUILTIN_TOOLS.names())
    assert issue == Issue(
        "unknown_tool", f"`teleport` is not a built-in tool; there are: {known}", "agent"
    )


def test_the_tool_list_may_not_be_empty() -> None:
    (issue,) = issues_with("[]")
    assert issue.code == "bad_config"
    assert issue.message.startswith("an agent needs at least one tool; add one of: current_time")


def test_an_unknown_fixed_parameter_is_named() -> None:
    (issue,) = issues_with("[{name: current_time, parameters: {zone: UTC}}]")
    assert issue == Issue(
        "bad_config",
        "the tool `current_time` has no parameter `zone` (it takes timezone, format)",
        "agent",
    )


def test_max_iterations_is_bounded() -> None:
    text = AGENT.replace("      tools: TOOLS", "      tools: TOOLS\n      max_iterations: 99")
    (issue,) = issues_with("[{name: current_time}]", text)
    assert issue.code == "bad_config"
    assert "max_iterations" in issue.message
    assert "<= 50" in issue.message


def test_templates_and_fixed_values_are_checked_for_references() -> None:
    tools = "[{name: current_time, parameters: {timezone: '{{ start.zone }}'}}]"
    text = AGENT.replace("{{ start.question }}", "{{ nowhere.text }}")
    messages = sorted(i.message for i in issues_with(tools, text))
    assert messages == [
        "Agent.query: `{{ nowhere.text }}` reads `nowhere`, but there is no such node",
        "Agent.tools[0].parameters.timezone: `{{ start.zone }}`: `start` has no output "
        "`zone` (it offers question)",
    ]

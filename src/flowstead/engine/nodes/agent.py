"""Agent: a model that calls built-in tools in a loop until it answers (function calling).

Each round sends the conversation (instruction, memory, query, then the tool calls and
results so far) with the JSON Schemas of the agent's tools. Every tool call of a round is
answered with a `tool` message, in the order the model made them (they run concurrently):
the tool's result (cut at `MAX_RESULT_CHARS`), or what was wrong — an unknown tool,
arguments that are not a JSON object or do not fit the tool's parameters, a tool that
failed — so the model can correct itself. None of these fail the node.

Fixed parameters (`tools[].parameters`) are left out of the schema the model sees and
override whatever it sends; strings there are templates, rendered once.

The loop ends when the model answers without calling a tool. After `max_iterations` rounds
of tool calls the model is asked once more, told to answer with what it has (tools offered
with `tool_choice: none`); calls it still makes are logged, not run. So a run gets an
answer as in Dify, whose function-calling strategy also drops the tools on its last round
(Dify counts that round within its maximum; here it comes after it).

Streaming: text is passed to `ctx.stream_text` as it arrives, from every round (what a
model says before calling a tool is part of `text`, rounds apart by a blank line), so the
streamed text is always `text`. Reasoning is kept apart, as the LLM node's `separated`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import msgspec

from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.nodes._common import ModelRef
from flowstead.engine.nodes._llm_common import (
    add_usage,
    build_request,
    complete,
    last_turns,
    message_data,
    missing_model,
    render_field,
    usage_output,
    with_memory,
)
from flowstead.engine.nodes.llm import Memory
from flowstead.engine.ports import ChatMessage, LLMError, ToolCall, ToolSpec, Usage
from flowstead.engine.templates import TemplateError
from flowstead.engine.tools import BUILTIN_TOOLS, ParameterError, Tool

MAX_ITERATIONS = 50
MAX_RESULT_CHARS = 16_000
FINAL_NUDGE = (
    "You have used all the tool calls you may make. Answer now with what you have found, "
    "without calling any tool."
)


class AgentTool(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A built-in tool the agent may call, with values the model cannot change."""

    name: str
    # Fixed values: strings are templates, other values are used as they are.
    parameters: dict[str, Any] = {}


class AgentConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    instruction: str = ""
    query: str = ""
    tools: list[AgentTool] = []
    max_iterations: Annotated[int, msgspec.Meta(ge=1, le=MAX_ITERATIONS)] = 5
    memory: Memory | None = None


def check(config: AgentConfig) -> Iterator[tuple[str, str]]:
    """Problems validation reports: (code, message)."""
    known = ", ".join(BUILTIN_TOOLS.names())
    if not config.tools:
        yield "bad_config", f"an agent needs at least one tool; add one of: {known}"
    seen: set[str] = set()
    for item in config.tools:
        tool = BUILTIN_TOOLS.get(item.name)
        if tool is None:
            shown = f"`{item.name}`" if item.name else "a tool without a name"
            yield "unknown_tool", f"{shown} is not a built-in tool; there are: {known}"
            continue
        if item.name in seen:
            yield "bad_config", f"the tool `{item.name}` is listed twice"
        seen.add(item.name)
        if problem := _unknown_fixed(tool, item.parameters):
            yield "bad_config", problem


def _unknown_fixed(tool: Tool, fixed: Mapping[str, Any]) -> str | None:
    takes = {p.name for p in tool.parameters}
    unknown = sorted(set(fixed) - takes)
    if not unknown:
        return None
    names = ", ".join(p.name for p in tool.parameters) or "no parameters"
    return f"the tool `{tool.name}` has no parameter `{unknown[0]}` (it takes {names})"


class _Toolbox:
    """The agent's tools with their fixed values, and how to answer one call."""

    def __init__(self, tools: dict[str, Tool], fixed: dict[str, dict[str, Any]]):
        self.tools = tools
        self.fixed = fixed

    def specs(self) -> list[ToolSpec]:
        specs = []
        for name, tool in self.tools.items():
            schema = tool.json_schema()
            for key in self.fixed[name]:
                schema["properties"].pop(key, None)
            schema["required"] = [r for r in schema["required"] if r not in self.fixed[name]]
            specs.append(ToolSpec(name, tool.description, schema))
        return specs

    async def answer(self, call: ToolCall, ctx: NodeContext) -> tuple[str, dict[str, Any], Any]:
        """The tool message's content, the log step, and the result's data (or None)."""
        step: dict[str, Any] = {"tool": call.name, "arguments": call.arguments}
        tool = self.tools.get(call.name)
        if tool is None:
            offered = ", ".join(self.tools)
            return _error(step, f"there is no tool `{call.name}`; you can call: {offered}")
        try:
            arguments = json.loads(call.arguments or "{}")
        except json.JSONDecodeError as exc:
            return _error(step, f"the arguments are not valid JSON ({exc}); send a JSON object")
        step["arguments"] = arguments
        if not isinstance(arguments, dict):
            return _error(step, "the arguments must be a JSON object of parameter values")
        try:
            params = tool.bind(arguments | self.fixed[call.name])
        except ParameterError as exc:
            return _error(step, f"{exc}; call `{tool.name}` again with corrected arguments")
        result = await tool.run(params, ctx)
        if result.error is not None:
            return _error(step, result.error)
        text = result.text or ("" if result.json is None else json.dumps(result.json, default=str))
        text = _truncate(text or "(the tool returned nothing)")
        step["result"] = text
        return text, step, result.json


def _error(step: dict[str, Any], message: str) -> tuple[str, dict[str, Any], Any]:
    step["error"] = message
    return f"Error: {message}", step, None


def _truncate(text: str) -> str:
    if len(text) <= MAX_RESULT_CHARS:
        return text
    more = len(text) - MAX_RESULT_CHARS
    return text[:MAX_RESULT_CHARS] + f"\n[truncated: {more} more characters]"


def _toolbox(config: AgentConfig, ctx: NodeContext) -> _Toolbox:
    """Raises ValueError (an unusable tool list) or TemplateError (a fixed value)."""
    problems = [message for _code, message in check(config)]
    if problems:
        raise ValueError(problems[0])
    tools: dict[str, Tool] = {}
    fixed: dict[str, dict[str, Any]] = {}
    for item in config.tools:
        tool = BUILTIN_TOOLS.get(item.name)
        assert tool is not None  # check() said so
        tools[item.name] = tool
        fixed[item.name] = {
            key: render_field(ctx, value, f"tools.{item.name}.{key}")
            if isinstance(value, str)
            else value
            for key, value in item.parameters.items()
        }
    return _Toolbox(tools, fixed)


def _messages(config: AgentConfig, ctx: NodeContext) -> list[ChatMessage]:
    instruction = render_field(ctx, config.instruction, "instruction")
    query = render_field(ctx, config.query, "query")
    if not query.strip():
        raise ValueError("the query is empty: write in `query` what the agent should do")
    messages = [ChatMessage("system", instruction)] if instruction.strip() else []
    messages.append(ChatMessage("user", query))
    if config.memory is not None:
        messages = with_memory(messages, last_turns(ctx.history, config.memory.window))
    return messages


class _Stream:
    """Passes answer text on as it arrives; rounds are set apart by a blank line."""

    def __init__(self, ctx: NodeContext):
        self.ctx = ctx
        self.pieces: list[str] = []
        self.fresh = True

    def next_round(self) -> None:
        self.fresh = True

    async def __call__(self, piece: str) -> None:
        if self.fresh and self.pieces:
            await self._send("\n\n")
        self.fresh = False
        await self._send(piece)

    async def _send(self, piece: str) -> None:
        self.pieces.append(piece)
        await self.ctx.stream_text(piece)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


async def run(config: AgentConfig, ctx: NodeContext) -> NodeResult:
    if problem := missing_model(config.model):
        return NodeResult.fail(problem)
    try:
        toolbox = _toolbox(config, ctx)
        messages = _messages(config, ctx)
    except (TemplateError, ValueError) as exc:
        return NodeResult.fail(str(exc))
    specs = toolbox.specs()
    process: dict[str, Any] = {
        "model": msgspec.to_builtins(config.model),
        "tools": [msgspec.to_builtins(spec) for spec in specs],
    }
    stream = _Stream(ctx)
    usage: Usage | None = None
    log: list[dict[str, Any]] = []
    data: list[Any] = []
    reasoning: list[str] = []
    iteration = 0
    while True:
        iteration += 1
        last = iteration > config.max_iterations
        if last:
            messages.append(ChatMessage("user", FINAL_NUDGE))
        request = build_request(config.model, messages, tools=specs)
        if last:
            request = msgspec.structs.replace(request, tool_choice="none")
        stream.next_round()
        try:
            answer = await complete(ctx.llm, request, on_text=stream)
        except LLMError as exc:
            process |= {"messages": message_data(messages), "log": log}
            return NodeResult.fail(str(exc), process_data=process, usage=usage)
        usage = add_usage(usage, answer.usage)
        if answer.reasoning:
            reasoning.append(answer.reasoning)
        if not answer.tool_calls:
            break
        if last:
            log += [
                {
                    "iteration": iteration,
                    "tool": call.name,
                    "arguments": call.arguments,
                    "error": "not run: the agent had used all its iterations",
                }
                for call in answer.tool_calls
            ]
            break
        calls = tuple(answer.tool_calls)
        messages.append(ChatMessage("assistant", answer.text, tool_calls=calls))
        answers = await asyncio.gather(*(toolbox.answer(c, ctx) for c in answer.tool_calls))
        for call, (content, step, value) in zip(answer.tool_calls, answers, strict=True):
            messages.append(ChatMessage("tool", content, tool_call_id=call.id))
            log.append({"iteration": iteration, **step})
            if value is not None:
                data.append(value)
    process["messages"] = message_data(messages)
    if iteration > config.max_iterations and not stream.text.strip():
        process["log"] = log
        return NodeResult.fail(
            f"the agent used all its {config.max_iterations} iterations calling tools and "
            "gave no answer; raise max_iterations or give it a smaller task",
            process_data=process,
            usage=usage,
        )
    outputs = _outputs(stream.text, reasoning, usage, iteration, log, data)
    return NodeResult.ok(outputs, process_data=process, usage=usage)


def _outputs(
    text: str,
    reasoning: list[str],
    usage: Usage | None,
    iterations: int,
    log: list[dict[str, Any]],
    data: list[Any],
) -> dict[str, Any]:
    return {
        "text": text,
        "reasoning": "\n\n".join(reasoning),
        "usage": usage_output(usage),
        "iterations": iterations,
        "log": log,
        "json": data,
        "files": [],
    }


SPEC: NodeSpec[AgentConfig] = NodeSpec(
    type="agent",
    label="Agent",
    config=AgentConfig,
    run=run,
    outputs=lambda c: {
        "text": "string",
        "reasoning": "string",
        "usage": "object",
        "iterations": "number",
        "log": "array[object]",
        "json": "array[object]",
        "files": "array[file]",
    },
    category="ai",
)

"""Parameter extractor: typed parameters pulled from text by the model.

`function_call` offers one tool, `extract_parameters`, whose JSON Schema is built from the
parameters (an answer in text instead is parsed as JSON); `prompt` asks for JSON in the
text. Values are coerced to their types. Outputs follow Dify's: every declared parameter
(None when missing or invalid), `__is_success` 1/0 and `__reason` (why not, else "").
"""

from __future__ import annotations

import json
from typing import Any, Literal

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.nodes._common import ModelRef
from flowstead.engine.nodes._llm_common import (
    Completion,
    build_request,
    complete,
    last_turns,
    message_data,
    missing_model,
    parse_json,
    render_field,
    resolve_text,
    usage_output,
    with_memory,
)
from flowstead.engine.nodes._params import coerce, parameters_schema
from flowstead.engine.ports import ChatMessage, LLMError, ToolSpec
from flowstead.engine.templates import TemplateError

ParamType = Literal[
    "string",
    "number",
    "boolean",
    "select",
    "array[string]",
    "array[number]",
    "array[object]",
    "array[boolean]",
    "object",
]


class Parameter(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    type: ParamType = "string"
    description: str = ""
    required: bool = False
    options: list[str] = []


class ParameterExtractorConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    # A selector of the text to extract from.
    query: str = "sys.query"
    parameters: list[Parameter] = []
    instruction: str = ""
    mode: Literal["function_call", "prompt"] = "function_call"
    memory_window: int | None = None


TOOL_NAME = "extract_parameters"
TOOL_DESCRIPTION = "Record the parameters found in the user's text."

FUNCTION_CALL_PROMPT = """\
You extract structured parameters from text. Call the `extract_parameters` function with
the values found in the user's text. Leave out any parameter the text does not give; never
invent values.{instruction}"""

PROMPT_MODE_PROMPT = """\
You extract structured parameters from text. Answer with only a JSON object whose keys are
the parameters found in the user's text, following this JSON Schema:
{schema}
Leave out any parameter the text does not give; never invent values. Write no other text.\
{instruction}"""


async def run(config: ParameterExtractorConfig, ctx: NodeContext) -> NodeResult:
    if not config.parameters:
        return NodeResult.fail("no parameters configured: add at least one parameter")
    if problem := missing_model(config.model):
        return NodeResult.fail(problem)
    try:
        query = resolve_text(ctx, config.query, "query")
        instruction = render_field(ctx, config.instruction, "instruction")
    except (TemplateError, selectors.Missing) as exc:
        return NodeResult.fail(str(exc))
    schema = parameters_schema(config.parameters)
    tools: list[ToolSpec] = []
    if config.mode == "function_call":
        tools.append(ToolSpec(TOOL_NAME, TOOL_DESCRIPTION, schema))
    messages = [
        ChatMessage("system", system_prompt(config.mode, schema, instruction)),
        ChatMessage("user", query),
    ]
    if config.memory_window is not None:
        messages = with_memory(messages, last_turns(ctx.history, config.memory_window))
    process: dict[str, Any] = {"mode": config.mode, "messages": message_data(messages)}
    if tools:
        process["tools"] = [msgspec.to_builtins(tool) for tool in tools]
    try:
        answer = await complete(ctx.llm, build_request(config.model, messages, tools=tools))
    except LLMError as exc:
        return NodeResult.fail(str(exc), inputs={"query": query}, process_data=process)
    raw, source, problem = _arguments(answer, offered=bool(tools))
    process.update({"answer_source": source, "arguments": raw})
    values, problems = coerce(config.parameters, raw)
    if problem is not None:
        problems.insert(0, problem)
    outputs = {
        **values,
        "__is_success": 0 if problems else 1,
        "__reason": "; ".join(problems),
        "usage": usage_output(answer.usage),
    }
    return NodeResult.ok(outputs, inputs={"query": query}, process_data=process, usage=answer.usage)


def system_prompt(mode: str, schema: dict[str, Any], instruction: str) -> str:
    extra = f"\n\nInstructions:\n{instruction.strip()}" if instruction.strip() else ""
    if mode == "function_call":
        return FUNCTION_CALL_PROMPT.format(instruction=extra)
    return PROMPT_MODE_PROMPT.format(
        schema=json.dumps(schema, ensure_ascii=False), instruction=extra
    )


def _arguments(answer: Completion, *, offered: bool) -> tuple[dict[str, Any], str, str | None]:
    """The extracted values, where they came from, and why there are none when there are none."""
    call = next((c for c in answer.tool_calls if c.name == TOOL_NAME), None)
    call = call or (answer.tool_calls[0] if answer.tool_calls else None)
    if call is not None:
        try:
            data = parse_json(call.arguments)
        except ValueError as exc:
            return {}, "tool_call", f"the tool call's arguments cannot be read: {exc}"
        source = "tool_call"
    else:
        try:
            data = parse_json(answer.text)
        except ValueError as exc:
            lead = "the model called no tool, and " if offered else ""
            return {}, "text", f"{lead}{exc}"
        source = "text"
    if not isinstance(data, dict):
        return {}, source, f"the model's answer is not a JSON object: {json.dumps(data)[:200]}"
    return data, source, None


def _outputs(c: ParameterExtractorConfig) -> dict[str, str]:
    outputs = {p.name: ("string" if p.type == "select" else p.type) for p in c.parameters}
    return {**outputs, "__is_success": "number", "__reason": "string", "usage": "object"}


SPEC = NodeSpec(
    type="parameter_extractor",
    label="Parameter extractor",
    config=ParameterExtractorConfig,
    run=run,
    outputs=_outputs,
    category="ai",
)

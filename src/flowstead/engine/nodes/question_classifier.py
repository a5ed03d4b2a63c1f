"""Question classifier: the model picks one class; the branch is that class's id.

The model is asked for `{"class_id": …}`; an answer in plain text is matched by class id or
name. An answer that names no class falls back to the first class, as Dify does, and
`process_data.fallback` says so.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from flowstead.engine import selectors
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.nodes._common import ModelRef
from flowstead.engine.nodes._llm_common import (
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
from flowstead.engine.ports import ChatMessage, LLMError
from flowstead.engine.templates import TemplateError


class Class(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    name: str


class QuestionClassifierConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    model: ModelRef = msgspec.field(default_factory=ModelRef)
    # A selector of the text to classify.
    query: str = "sys.query"
    classes: list[Class] = []
    instruction: str = ""
    memory_window: int | None = None


SYSTEM_PROMPT = """\
You are a text classifier. Read the user's text and choose the one category it belongs to.

Categories (JSON):
{categories}
{instruction}
Answer with only a JSON object naming the chosen category, for example:
{{"class_id": "{example_id}", "class_name": "{example_name}"}}"""

_ID_KEYS = ("class_id", "category_id", "id")
_NAME_KEYS = ("class_name", "category_name", "name", "class", "category")


async def run(config: QuestionClassifierConfig, ctx: NodeContext) -> NodeResult:
    if not config.classes:
        return NodeResult.fail("no classes configured: add at least one class")
    if problem := missing_model(config.model):
        return NodeResult.fail(problem)
    try:
        query = resolve_text(ctx, config.query, "query")
        instruction = render_field(ctx, config.instruction, "instruction")
    except (TemplateError, selectors.Missing) as exc:
        return NodeResult.fail(str(exc))
    messages = [
        ChatMessage("system", system_prompt(config.classes, instruction)),
        ChatMessage("user", query),
    ]
    if config.memory_window is not None:
        messages = with_memory(messages, last_turns(ctx.history, config.memory_window))
    process: dict[str, Any] = {"messages": message_data(messages)}
    try:
        answer = await complete(ctx.llm, build_request(config.model, messages))
    except LLMError as exc:
        return NodeResult.fail(str(exc), inputs={"query": query}, process_data=process)
    process["answer"] = answer.text
    chosen = choose(answer.text, config.classes)
    if chosen is None:
        chosen = config.classes[0]
        process["fallback"] = (
            f"the model's answer named no class; chose the first class `{chosen.id}`"
        )
    outputs = {
        "class_name": chosen.name,
        "class_id": chosen.id,
        "usage": usage_output(answer.usage),
    }
    return NodeResult.ok(
        outputs, inputs={"query": query}, process_data=process, handle=chosen.id, usage=answer.usage
    )


def system_prompt(classes: list[Class], instruction: str) -> str:
    categories = json.dumps(
        [{"class_id": c.id, "class_name": c.name} for c in classes], ensure_ascii=False
    )
    return SYSTEM_PROMPT.format(
        categories=categories,
        instruction=f"\nInstructions:\n{instruction.strip()}\n" if instruction.strip() else "",
        example_id=classes[0].id,
        example_name=classes[0].name,
    )


def choose(answer: str, classes: list[Class]) -> Class | None:
    """The class an answer names: by JSON `class_id` (or `class_name`), else by an exact id
    or name, else by the class name that appears first in the text."""
    try:
        data = parse_json(answer)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in _ID_KEYS:
            if (found := _by_id(data.get(key), classes)) is not None:
                return found
        for key in _NAME_KEYS:
            if (found := _by_name(data.get(key), classes)) is not None:
                return found
    text = answer.strip().strip("\"'`.").strip()
    if (found := _by_id(text, classes) or _by_name(text, classes)) is not None:
        return found
    return _first_mentioned(answer, classes)


def _by_id(value: Any, classes: list[Class]) -> Class | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    wanted = str(value).strip()
    exact = next((c for c in classes if c.id == wanted), None)
    return exact or next((c for c in classes if c.id.casefold() == wanted.casefold()), None)


def _by_name(value: Any, classes: list[Class]) -> Class | None:
    if not isinstance(value, str):
        return None
    wanted = value.strip().casefold()
    return next((c for c in classes if c.name.strip().casefold() == wanted), None)


def _first_mentioned(text: str, classes: list[Class]) -> Class | None:
    """The class whose name appears earliest in `text` (the longer name on a tie)."""
    folded = text.casefold()
    found = [
        (index, -len(c.name), position, c)
        for position, c in enumerate(classes)
        if c.name.strip() and (index := folded.find(c.name.strip().casefold())) >= 0
    ]
    return min(found, key=lambda item: item[:3])[3] if found else None


def _handles(config: QuestionClassifierConfig) -> tuple[str, ...]:
    return tuple(c.id for c in config.classes)


SPEC = NodeSpec(
    type="question_classifier",
    label="Question classifier",
    config=QuestionClassifierConfig,
    run=run,
    outputs=lambda c: {"class_name": "string", "class_id": "string", "usage": "object"},
    handles=_handles,
    category="ai",
)

"""LLM, question classifier and parameter extractor."""

from __future__ import annotations

from flowstead.dsl.dify import import_dify
from tests.unit.dsl.dify.builders import START, config, dsl, imported, messages, node

MODEL = {
    "provider": "langgenius/openai/openai",
    "name": "gpt-4o",
    "mode": "chat",
    "completion_params": {
        "temperature": 0.2,
        "max_tokens": 512,
        "top_p": 0.9,
        "stop": ["END"],
        "presence_penalty": 0.5,
    },
}


def llm(**data: object) -> dict[str, object]:
    defaults = {
        "context": {"enabled": False, "variable_selector": []},
        "vision": {"enabled": False},
    }
    return node("2", "llm", model=MODEL, **(defaults | data))


def test_model_prompt_and_parameters() -> None:
    result = imported(
        llm(
            prompt_template=[
                {"role": "system", "text": "You help with {{#1711528914102.question#}}."},
                {"role": "user", "text": "{{#sys.query#}}"},
                {"role": "assistant", "text": "Sure."},
            ]
        )
    )
    assert config(result, "2") == {
        "model": {
            "provider": "openai",
            "name": "gpt-4o",
            "temperature": 0.2,
            "top_p": 0.9,
            "max_tokens": 512,
            "stop": ["END"],
            "extra": {"presence_penalty": 0.5},
        },
        "system": "You help with {{ start.question }}.",
        "messages": [
            {"role": "user", "text": "{{ sys.query }}"},
            {"role": "assistant", "text": "Sure."},
        ],
        "reasoning_format": "tagged",
    }
    assert messages(result, "llm") == [
        "model provider 'openai' is not configured here (model "
        "'gpt-4o'); configure it or pick another model"
    ]


def test_configured_providers_are_not_reported() -> None:
    text = dsl(START, llm(prompt_template=[{"role": "system", "text": "hi"}]))
    assert import_dify(text, providers={"openai"}).report == []


def test_missing_model() -> None:
    result = imported(node("2", "llm", model={"provider": "", "name": ""}, prompt_template=[]))
    assert messages(result) == ["no model is chosen; pick one"]


def test_context_memory_structured_output_and_vision() -> None:
    text = dsl(
        START,
        llm(
            prompt_template=[{"role": "system", "text": "Use {{#context#}}"}],
            context={"enabled": True, "variable_selector": ["9", "result"]},
            memory={
                "window": {"enabled": True, "size": 4},
                "query_prompt_template": "{{#sys.query#}} {{#sys.files#}}",
            },
            structured_output_enabled=True,
            structured_output={"schema": {"type": "object"}},
            reasoning_format="separated",
            vision={"enabled": True, "configs": {"variable_selector": ["sys", "files"]}},
        ),
        node("9", "knowledge-retrieval", dataset_ids=[], query_variable_selector=["sys", "query"]),
        mode="advanced-chat",
    )
    result = import_dify(text, providers={"openai"})
    assert config(result, "2") == {
        "model": config(result, "2")["model"],
        "system": "Use {{ context }}",
        "messages": [{"role": "user", "text": "{{ sys.query }} {{ sys.files }}"}],
        "memory": {"window": 4},
        "context": "retrieval.result",
        "json_schema": {"type": "object"},
    }
    assert messages(result, "llm") == [
        "vision is on in Dify, but Flowstead does not send images to the model; the image "
        "input was ignored"
    ]


def test_memory_without_a_window_and_in_workflows() -> None:
    memory = {"window": {"enabled": False, "size": 50}, "query_prompt_template": ""}
    chat = import_dify(dsl(START, llm(prompt_template=[], memory=memory), mode="advanced-chat"))
    assert config(chat, "2")["memory"] == {}
    assert config(chat, "2")["messages"] == [{"role": "user", "text": "{{ sys.query }}"}]
    assert "Flowstead keeps the last 10 turns" in messages(chat)[0]
    workflow = imported(llm(prompt_template=[], memory=memory))
    assert "memory" not in config(workflow, "2")
    assert messages(workflow)[0] == (
        "conversation memory has no effect in a workflow app and was dropped"
    )


def test_jinja_prompts_bind_their_variables() -> None:
    result = imported(
        llm(
            prompt_template=[
                {
                    "role": "system",
                    "edition_type": "jinja2",
                    "text": "",
                    "jinja2_text": "{% for q in qs %}{{ q }}{% endfor %}",
                },
                {"role": "user", "edition_type": "jinja2", "jinja2_text": "{{ name }} {{ qs }}"},
            ],
            prompt_config={
                "jinja2_variables": [
                    {"variable": "qs", "value_selector": ["1711528914102", "question"]},
                    {"variable": "name", "value_selector": ["sys", "user_id"]},
                ]
            },
        )
    )
    assert config(result, "2")["system"] == (
        "{% set qs = start.question %}{% for q in qs %}{{ q }}{% endfor %}"
    )
    assert config(result, "2")["messages"] == [
        {
            "role": "user",
            "text": "{% set name = sys.user %}{% set qs = start.question %}{{ name }} {{ qs }}",
        }
    ]


def test_completion_prompt() -> None:
    result = imported(llm(prompt_template={"text": "Summarise {{#1711528914102.question#}}"}))
    assert config(result, "2")["messages"] == [
        {"role": "user", "text": "Summarise {{ start.question }}"}
    ]
    assert "the completion-style prompt became a user message" in messages(result)


def test_reasoning_content_is_reasoning() -> None:
    result = imported(
        llm(prompt_template=[]), node("3", "answer", answer="{{#2.reasoning_content#}}")
    )
    assert config(result, "3") == {"text": "{{ llm.reasoning }}"}


def test_question_classifier() -> None:
    result = imported(
        node(
            "2",
            "question-classifier",
            model=MODEL,
            instructions="",
            instruction="Be {{#sys.query#}}",
            query_variable_selector=["1711528914102", "sys.query"],
            classes=[{"id": "1", "name": "Billing"}, {"id": "1720", "name": "Other"}],
            memory={"window": {"enabled": True, "size": 3}},
        )
    )
    assert config(result, "2") == {
        "model": config(result, "2")["model"],
        "classes": [{"id": "1", "name": "Billing"}, {"id": "1720", "name": "Other"}],
        "instruction": "Be {{ sys.query }}",
        "memory_window": 3,
    }


def test_parameter_extractor() -> None:
    result = imported(
        node(
            "2",
            "parameter-extractor",
            model=MODEL,
            query=["1711528914102", "question"],
            reasoning_mode="prompt",
            instruction="Extract",
            parameters=[
                {"name": "city", "type": "string", "description": "the city", "required": True},
                {"name": "ok", "type": "bool"},
                {"name": "size", "type": "select", "options": ["S", "L"]},
                {"name": "when", "type": "date"},
            ],
        )
    )
    assert config(result, "2") == {
        "model": config(result, "2")["model"],
        "query": "start.question",
        "parameters": [
            {"name": "city", "description": "the city", "required": True},
            {"name": "ok", "type": "boolean"},
            {"name": "size", "type": "select", "options": ["S", "L"]},
            {"name": "when"},
        ],
        "instruction": "Extract",
        "mode": "prompt",
    }
    assert messages(result, "extractor")[0] == (
        "the parameter 'when' has the type 'date', which Flowstead lacks; it became a string"
    )


def test_needs_name_the_providers_to_configure_with_their_models() -> None:
    other = {**MODEL, "provider": "langgenius/tongyi/tongyi", "name": "qwen-max"}
    text = dsl(
        START,
        llm(prompt_template=[]),
        node("3", "llm", model={**MODEL, "name": "gpt-4o-mini"}, prompt_template=[]),
        node("4", "llm", model=other, prompt_template=[]),
        node("5", "llm", model={"provider": "", "name": ""}, prompt_template=[]),
    )
    assert import_dify(text).needs.providers == {
        "openai": ["gpt-4o", "gpt-4o-mini"],
        "tongyi": ["qwen-max"],
    }
    assert import_dify(text, providers={"openai"}).needs.providers == {"tongyi": ["qwen-max"]}

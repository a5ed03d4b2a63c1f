"""The graph around the nodes: ids, edges, dropped nodes, error handling, variables."""

from __future__ import annotations

from flowstead.dsl.dify import import_dify
from flowstead.dsl.document import EnvVar, OnError, Position, Retry
from tests.unit.dsl.dify.builders import START, config, dsl, edge, imported, messages, node


def answer(node_id: str, text: str, **data: object) -> dict[str, object]:
    return node(node_id, "answer", answer=text, **data)


def test_ids_titles_positions_and_edges() -> None:
    result = imported(
        answer("1711528915811", "{{#1711528914102.question#}}", desc="says it"),
        answer("1711528915812", "again"),
        edges=[
            edge("1711528914102", "1711528915811"),
            edge("1711528914102", "1711528915811"),
            edge("1711528915811", "1711528915812"),
        ],
    )
    assert result.ids == {
        "1711528914102": "start",
        "1711528915811": "answer",
        "1711528915812": "answer_2",
    }
    first = result.document.nodes[1]
    assert (first.id, first.title, first.description) == ("answer", "Answer", "says it")
    assert first.position == Position(10.0, 20.0)
    assert [(e.source, e.to, e.handle) for e in result.document.edges] == [
        ("start", "answer", None),
        ("answer", "answer_2", None),
    ]
    assert result.document.name == "test"
    assert result.document.description == "a test app"


def test_old_and_new_spellings_of_system_variables() -> None:
    result = imported(
        answer("2", "{{#userinput.files#}} {{#sys.user_id#}}"),
        node("3", "document-extractor", variable_selector=["1711528914102", "sys.files"]),
    )
    assert config(result, "2") == {"text": "{{ sys.files }} {{ sys.user }}"}
    assert config(result, "3") == {"variable": "sys.files"}


def test_references_to_missing_nodes_are_reported() -> None:
    result = imported(answer("2", "{{#1234.text#}} {{#ghost.text#}} {{#1234.other#}}"))
    assert config(result, "2") == {
        "text": "{{ missing_1.text }} {{ ghost.text }} {{ missing_1.other }}"
    }
    assert messages(result) == [
        "reads `1234.text`, but the Dify file has no node `1234`; it now reads `missing_1`, "
        "which does not exist either",
        "reads `ghost.text`, but the Dify file has no node `ghost`; it now reads `ghost`, "
        "which does not exist either",
    ]


def test_sticky_notes_unknown_untyped_and_duplicate_nodes() -> None:
    note = {
        "id": "9",
        "type": "custom-note",
        "data": {
            "type": "",
            "text": '{"root":{"children":[{"children":[{"text":"Remember to set the '
            'API key before running this workflow, please"}]}]}}',
        },
    }
    result = imported(
        note,
        node("2", "human-input", form={}),
        {"id": "3", "data": {}},
        answer("4", "a"),
        answer("4", "b"),
        edges=[edge("4", "2")],
    )
    assert [n.id for n in result.document.nodes] == ["start", "human_input", "answer"]
    assert result.document.node("human_input").config == {}  # type: ignore[union-attr]
    assert [(e.node_id, e.severity, e.message) for e in result.report] == [
        (
            None,
            "info",
            "sticky note dropped: “Remember to set the API key before running this workflow,…”",
        ),
        (None, "error", "the node 3 has no type and was dropped"),
        (None, "error", "two nodes have the id 4; the second was dropped"),
        (
            "human_input",
            "error",
            "the Dify node type 'human-input' is not supported; the node "
            "was kept without settings so you can replace it",
        ),
    ]
    assert config(result, "4") == {"text": "a"}


def test_edges_to_nodes_that_are_not_there() -> None:
    result = imported(answer("2", "a"), edges=[edge("2", "404")])
    assert result.document.edges == []
    assert result.report[0].message == (
        "an edge from 2 to 404 points at a node that is not in the file; it was dropped"
    )


def test_error_strategies_defaults_and_retries() -> None:
    defaults = [
        {"key": "result", "type": "string", "value": "none"},
        {"key": "n", "type": "number", "value": "2"},
        {"key": "items", "type": "array[string]", "value": '["a"]'},
        {"key": "obj", "type": "object", "value": "{bad json"},
    ]
    result = imported(
        node(
            "2",
            "code",
            code="",
            variables=[],
            outputs={},
            error_strategy="default-value",
            default_value=defaults,
            retry_config={"retry_enabled": True, "max_retries": 3, "retry_interval": 250},
        ),
        node(
            "3",
            "http-request",
            method="get",
            url="https://x.test",
            headers="",
            params="",
            authorization={"type": "no-auth"},
            error_strategy="fail-branch",
            retry_config={"retry_enabled": False, "max_retries": 3},
        ),
        answer("4", "failed"),
        edges=[edge("3", "4", "fail-branch")],
    )
    code, http = result.document.nodes[1], result.document.nodes[2]
    assert code.on_error == OnError(
        "default_value", {"result": "none", "n": 2, "items": ["a"], "obj": "{bad json"}
    )
    assert code.retry == Retry(3, 0.25)
    assert (http.on_error, http.retry) == (OnError("fail_branch"), None)
    assert result.document.edges[0].handle == "fail-branch"


def test_environment_and_conversation_variables() -> None:
    text = dsl(
        START,
        mode="advanced-chat",
        environment_variables=[
            {"name": "URL", "value_type": "string", "value": "https://x.test"},
            {"name": "RATE", "value_type": "number", "value": 3},
            {"name": "KEY", "value_type": "secret", "value": ""},
            {"name": "CFG", "value_type": "object", "value": {"a": 1}},
        ],
        conversation_variables=[
            {"name": "history", "value_type": "array[string]", "value": [], "description": "past"},
            {"name": "blob", "value_type": "array[any]", "value": None},
        ],
    )
    result = import_dify(text)
    assert result.document.environment == [
        EnvVar("URL", "string", "https://x.test"),
        EnvVar("RATE", "number", 3.0),
        EnvVar("KEY", "secret", ""),
        EnvVar("CFG", "string", "{'a': 1}"),
    ]
    assert [
        (v.name, v.type, v.default, v.description) for v in result.document.conversation_variables
    ] == [("history", "array[string]", [], "past"), ("blob", "any", None, "")]
    assert messages(result) == [
        "the secret environment variable KEY has no value (Dify leaves secrets out of "
        "exports); set it",
        "the environment variable CFG has the type 'object'; it became a string",
        "the conversation variable blob has the type 'array[any]', which Flowstead lacks; it "
        "became `any`",
    ]


def test_app_features_that_do_not_carry_over() -> None:
    features = {
        "opening_statement": "Hi!",
        "suggested_questions": [],
        "file_upload": {"image": {"enabled": True}},
        "speech_to_text": {"enabled": False},
    }
    result = import_dify(dsl(START, mode="advanced-chat", features=features))
    assert messages(result) == [
        "Dify app features not carried over: the opening statement, file uploads"
    ]


def test_settings_of_an_unexpected_shape_do_not_stop_the_import() -> None:
    result = imported(
        node("2", "llm", model="gpt-4o", prompt_template=["not a message"]),
        node(
            "3",
            "code",
            code="",
            variables=[],
            outputs={},
            error_strategy="default-value",
            default_value=["junk"],
        ),
        edges=[edge("2", "3"), "not an edge"],  # type: ignore[list-item]
    )
    assert config(result, "2") == {}
    assert result.entries("error")[0].message.startswith(
        "the settings have a shape this importer does not know (AttributeError("
    )
    assert [(e.source, e.to) for e in result.document.edges] == [("llm", "code")]

"""Dify text and Flowstead templates, both ways."""

from __future__ import annotations

import random

import pytest

from flowstead.dsl.dify import text
from flowstead.engine import templates


def dotted(parts: list[str]) -> str:
    return ".".join(parts)


@pytest.mark.parametrize(
    ("dify", "template"),
    [
        ("Hello {{#start.name#}}!", "Hello {{ start.name }}!"),
        ("{{#sys.query#}}", "{{ sys.query }}"),
        ("ctx: {{#context#}}", "ctx: {{ context }}"),
        ("{{#llm.obj.deep.key#}}", "{{ llm.obj.deep.key }}"),
        ("literal {{name}} stays", "literal {% raw %}{{{% endraw %}name}} stays"),
        ("a {% if %} and {# c #}", "a {% raw %}{% if %} and {#{% endraw %} c #}"),
        ("{{#中文.x#}} is no reference", "{% raw %}{{{% endraw %}#中文.x#}} is no reference"),
        ("{{#a.b#}}{{{#a.b#}}", "{{ a.b }}{% raw %}{{% endraw %}{{ a.b }}"),
        ("{% endraw %} {{x}}", "{{ '{%' }} endraw %} {{ '{{' }}x}}"),
    ],
)
def test_from_dify(dify: str, template: str) -> None:
    assert text.from_dify(dify, dotted) == template
    assert text.to_dify(template, dotted) == dify


def test_references_are_mapped() -> None:
    assert text.from_dify("{{#1711.text#}}", lambda parts: "llm." + parts[1]) == "{{ llm.text }}"


@pytest.mark.parametrize(
    ("selector", "expression"),
    [
        ("llm.text", "llm.text"),
        ("start.my-file", "start['my-file']"),
        ("list.0", "list[0]"),
        ("x.it's", "x['it\\'s']"),
    ],
)
def test_expressions(selector: str, expression: str) -> None:
    assert text.expression(selector) == expression
    assert ".".join(text.selector_of(expression)) == selector
    root, _ = next(iter(templates.references("{{ " + expression + " }}")))
    assert root == selector.split(".")[0]


def test_random_text_survives_both_ways_and_renders_to_itself() -> None:
    """Any mix of braces, Jinja markers and references: the template compiles, renders to
    the Dify text with the references filled in, and converts back unchanged."""
    rng = random.Random(7)
    alphabet = [
        "{",
        "}",
        "%",
        "#",
        "-",
        "a",
        " ",
        "\n",
        "{{",
        "{%",
        "{#",
        "}}",
        "%}",
        "'",
        "{% endraw %}",
        "{%endraw%}",
        "{{#x.y#}}",
        "{{#context#}}",
    ]
    for _ in range(400):
        dify = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        template = text.from_dify(dify, dotted)
        assert text.to_dify(template, dotted) == dify
        assert templates.check_syntax(template) is None, template
        rendered = templates.render(template, {"x": {"y": "<xy>"}, "context": "<c>"})
        assert rendered == dify.replace("{{#x.y#}}", "<xy>").replace("{{#context#}}", "<c>")


def test_plain_and_jinja_pieces() -> None:
    assert text.is_plain("Hi {{ start.name }} {% raw %}{{{% endraw %}")
    assert not text.is_plain("{% if start.name %}hi{% endif %}")
    assert not text.is_plain("{{ start.name | upper }}")


def test_prologue() -> None:
    body = "{{ arg1 }} and {{ arg2 }}"
    template = text.with_prologue(body, [("arg1", "code.result"), ("arg2", "sys.query")])
    assert template == "{% set arg1 = code.result %}{% set arg2 = sys.query %}" + body
    assert text.split_prologue(template, lambda root: root in ("code", "sys")) == (
        [("arg1", "code.result"), ("arg2", "sys.query")],
        body,
    )


def test_a_set_of_an_unknown_root_belongs_to_the_body() -> None:
    template = "{% set a = code.x %}{% set b = local.y %}{{ a }}{{ b }}"
    variables, body = text.split_prologue(template, lambda root: root == "code")
    assert variables == [("a", "code.x")]
    assert body == "{% set b = local.y %}{{ a }}{{ b }}"

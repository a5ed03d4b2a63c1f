"""Readable node ids."""

from __future__ import annotations

from flowstead.dsl.dify.ids import assign, base_name, usable


def test_numeric_ids_get_names_from_their_type() -> None:
    ids = assign([("1711", "start"), ("1712", "llm"), ("1713", "llm"), ("1714", "code")])
    assert ids == {"1711": "start", "1712": "llm", "1713": "llm_2", "1714": "code"}


def test_usable_ids_are_kept_and_never_reused() -> None:
    ids = assign([("1712", "llm"), ("llm", "llm"), ("llm_2", "code")])
    assert ids == {"llm": "llm", "llm_2": "llm_2", "1712": "llm_3"}


def test_reserved_names_are_numbered_from_one() -> None:
    assert assign([("a-1", "loop"), ("a-2", "loop")]) == {"a-1": "loop_1", "a-2": "loop_2"}


def test_names_the_templates_bind_are_avoided() -> None:
    assert assign([("code", "code"), ("1", "code")], avoid={"code"}) == {
        "code": "code_2",
        "1": "code_3",
    }


def test_usable() -> None:
    assert usable("llm_2")
    for name in (
        "1711",
        "my-node",
        "sys",
        "env",
        "conversation",
        "item",
        "index",
        "loop",
        "context",
        "true",
        "none",
        "if",
        "range",
    ):
        assert not usable(name), name


def test_base_names_from_tool_names() -> None:
    assert base_name("parse-file", "tool") == "parse_file"
    assert base_name("Web Scraper", "tool") == "web_scraper"
    assert base_name("3d", "tool") == "tool"
    assert base_name("搜索", "tool") == "tool"

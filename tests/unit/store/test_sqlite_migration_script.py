"""Splitting a migration script into statements that can run inside one transaction."""

from __future__ import annotations

import pytest

from flowstead.store.sqlite.database import split_statements


def test_statements_comments_and_triggers() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE a (x TEXT DEFAULT ';');
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        UPDATE a SET x = 'y';
    END;
    -- trailing comment
    """

    statements = split_statements(script)

    assert len(statements) == 2
    assert statements[0].endswith("CREATE TABLE a (x TEXT DEFAULT ';');")
    assert statements[1].startswith("CREATE TRIGGER t")


def test_an_unfinished_statement_is_an_error() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE a (x TEXT);\nCREATE TABLE b (")

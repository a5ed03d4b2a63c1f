"""The engine imports no web framework and no database client."""

from __future__ import annotations

import ast
from pathlib import Path

import flowstead.engine

FORBIDDEN = {"litestar", "granian", "aiosqlite", "sqlite3", "surrealdb", "httpx"}
ENGINE = Path(flowstead.engine.__file__).parent


def imported(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_engine_module_imports_a_web_framework_or_database_client() -> None:
    modules = sorted(ENGINE.rglob("*.py"))
    assert len(modules) > 20
    offenders = {
        str(path.relative_to(ENGINE)): sorted(imported(path) & FORBIDDEN) for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}

"""The README's table of the Dify DSL corpus: for each file, how it imports, how it runs
against the fake servers (the outcome `test_corpus_runs` enforces), and what needs
attention (from the import report and validation).

    python -m tests.integration.dify.corpus_table

prints it; `test_corpus_table` checks the README's copy (between the markers) is current.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from flowstead.dsl.dify import ImportResult, import_dify
from flowstead.engine.validation import Issue, errors, validate
from tests.integration.dify.conftest import CORPUS, CORPUS_FILES
from tests.integration.dify.corpus import SCENARIOS
from tests.integration.dify.runner import Scenario

BEGIN, END = "<!-- dify-corpus-table -->", "<!-- /dify-corpus-table -->"
_OUTCOMES = {
    "succeeded": "✅ succeeded",
    "partial_succeeded": "✅ partly succeeded",
    "failed": "⚠️ fails as expected",
    "refused": "⛔ not run",
}
# Short names for the report's other findings; what is not here is quoted.
_FINDINGS = [
    (r"^vision is on", "images are not sent to the model (vision)"),
    (r"^no model is chosen", "no model chosen"),
    (r"\(single retrieval\)", "single-retrieval mode searches all knowledge bases"),
    (r"API key is written into the workflow", "API key written into the workflow"),
    (r"looks inside the files of", "file-type conditions became empty checks"),
]
_COVERED = (r"model provider '", r"comes from the Dify plugin", r"the Dify knowledge bases")


def key(path: Path) -> str:
    return path.name[:2]


def markdown() -> str:
    lines = [
        "| # | App (DSL, mode) | Imported | Runs (fake models) | Needs attention |",
        "|---|---|---|---|---|",
    ]
    manifest = _manifest()
    for path in CORPUS_FILES:
        result = import_dify(path.read_bytes())
        version, mode = manifest.get(path.name, ("?", "?"))
        cells = [
            key(path),
            f"{_escape(result.document.name)} ({version}, {mode})",
            _imported(result),
            _runs(SCENARIOS[key(path)]),
            "; ".join(_attention(result)) or "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _manifest() -> dict[str, tuple[str, str]]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as file:
        return {
            row["local_file"]: (row["dsl_version"], row["app_mode"])
            for row in csv.DictReader(file, delimiter="\t")
        }


def _imported(result: ImportResult) -> str:
    found = errors(validate(result.document))
    text = f"✅ {len(result.document.nodes)} nodes"
    if not found:
        return text
    return text + f", {len(found)} validation error{'s' if len(found) > 1 else ''}"


def _runs(scenario: Scenario) -> str:
    return f"{_OUTCOMES[scenario.status]}: {_escape(scenario.why)}"


def _attention(result: ImportResult) -> Iterator[str]:
    needs = result.needs
    if needs.providers:
        yield "configure " + ", ".join(f"`{p}`" for p in needs.providers)
    if needs.plugins:
        yield "plugins Flowstead lacks: " + ", ".join(f"`{p}`" for p in needs.plugins)
    if needs.knowledge_bases:
        yield "map knowledge bases " + ", ".join(f"`{k[:8]}…`" for k in needs.knowledge_bases)
    seen: list[str] = []
    for entry in result.report:
        if entry.severity == "info" or any(re.search(p, entry.message) for p in _COVERED):
            continue
        finding = next(
            (label for pattern, label in _FINDINGS if re.search(pattern, entry.message)),
            _escape(entry.message),
        )
        if finding not in seen:
            seen.append(finding)
    yield from seen
    yield from _refusals(errors(validate(result.document)))


def _refusals(found: list[Issue]) -> Iterator[str]:
    by_code: dict[str, list[str]] = {}
    for issue in found:
        where = by_code.setdefault(issue.code, [])
        if issue.node_id and issue.node_id not in where:
            where.append(issue.node_id)
    for code, nodes in by_code.items():
        yield f"validation: {code} ({', '.join(f'`{n}`' for n in nodes)})"


def _escape(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def readme_table(readme: Path) -> str | None:
    """The table between the markers in the README, or None when it has none."""
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


if __name__ == "__main__":
    print(BEGIN)
    print(markdown(), end="")
    print(END)

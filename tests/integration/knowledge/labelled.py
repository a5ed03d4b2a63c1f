"""A labelled retrieval set from the Python standard library's own docstrings.

Each module becomes a Markdown document: a section per public function or class, headed by
its name and signature, holding its docstring *without* the first line. That first line (the
summary) is the query, and the right answer is any chunk of that section. So no query
appears verbatim in the text it should find.

The set is committed (`data/stdlib_qa.json`) so results do not move with the Python
version; `python -m tests.integration.knowledge.labelled` writes it again.

It splits in two halves by module, fixed by a hash of the document's name: fusion settings
are chosen on the tuning half (`bench/bench_knowledge_fusion.py`) and the quality test
checks them on the held-out half, each half searched as a knowledge base of its own.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any, Literal

FIXTURE = Path(__file__).parent / "data" / "stdlib_qa.json"
_MODULE_NAMES = (
    "argparse base64 bisect calendar collections colorsys contextlib copy csv datetime"
    " difflib fnmatch fractions functools glob gzip hashlib heapq hmac html inspect"
    " ipaddress itertools json keyword locale logging math mimetypes operator os os.path"
    " pathlib pickle platform pprint random re secrets shlex shutil socket statistics"
    " string struct subprocess tarfile tempfile textwrap threading time tokenize"
    " unicodedata urllib.parse uuid warnings zipfile zlib"
)
MODULES = _MODULE_NAMES.split()
PER_MODULE = 12
MIN_PASSAGE = 80

Half = Literal["tuning", "held-out"]


def _sections(module_name: str) -> list[tuple[str, str, str]]:
    """(heading, summary line, rest of the docstring) of a module's public callables."""
    module = importlib.import_module(module_name)
    found = []
    for name in sorted(getattr(module, "__all__", None) or dir(module)):
        obj = getattr(module, name, None)
        if name.startswith("_") or not callable(obj) or inspect.getmodule(obj) is not module:
            continue
        doc = inspect.getdoc(obj) or ""
        summary, _, rest = doc.partition("\n")
        if len(summary.split()) < 4 or len(rest.strip()) < MIN_PASSAGE:
            continue
        try:
            signature = re.sub(r" at 0x[0-9a-f]+", "", str(inspect.signature(obj)))
        except (TypeError, ValueError):
            signature = ""
        found.append((f"{module_name}.{name}{signature}", summary.strip(), rest.strip()))
    return found[:PER_MODULE]


def build() -> dict[str, Any]:
    documents, queries, seen = [], [], set()
    for module_name in MODULES:
        sections = _sections(module_name)
        if not sections:
            continue
        name = f"{module_name}.md"
        parts = [f"# {module_name}\n"]
        for heading, summary, rest in sections:
            parts.append(f"## {heading}\n\n{rest}\n")
            if summary.lower() not in seen:
                seen.add(summary.lower())
                queries.append({"query": summary, "document": name, "heading": heading})
        documents.append({"name": name, "text": "\n".join(parts)})
    return {"documents": documents, "queries": queries}


def load() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")


def is_answer(query: dict[str, Any], document: str, metadata: dict[str, Any]) -> bool:
    """Whether a chunk (its document name and metadata) is in the query's answer section."""
    headings = metadata.get("headings") or []
    return document == query["document"] and headings[-1:] == [query["heading"]]


def half_of(document: str) -> Half:
    """The half a document (and the queries it answers) is in: its name's SHA-256, odd or
    even, so the split never depends on results."""
    return "held-out" if hashlib.sha256(document.encode()).digest()[0] % 2 else "tuning"


def half(name: Half) -> dict[str, Any]:
    """The documents of one half and the queries they answer."""
    data = load()
    return {
        "documents": [d for d in data["documents"] if half_of(d["name"]) == name],
        "queries": [q for q in data["queries"] if half_of(q["document"]) == name],
    }

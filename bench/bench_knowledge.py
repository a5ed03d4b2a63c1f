"""Knowledge bases: ingestion throughput, retrieval latency over 100,000 chunks, and recall.

- Ingestion: documents of 100 paragraphs go through the real ingestor (file, text, chunks,
  built-in embeddings, store) on SQLite until there are 100,000 chunks; chunks per second.
- Retrieval: the labelled set's queries against those 100,000 chunks, per method and
  hybrid; p50 and p95 in milliseconds (the first vector search loads the cached matrix,
  timed apart). SurrealDB's full-text index slows down as it grows (about 25 ms a chunk
  at a few hundred, more later), so SurrealDB mem:// runs the same workload at 1,000 chunks.
- Recall@5 on the labelled stdlib set (see tests/integration/knowledge/labelled.py) for
  full-text only, vectors only and hybrid (the default settings), on both stores: on its
  tuning half, its held-out half and the whole set, each a knowledge base in a store of its
  own (full-text statistics are per index, so other knowledge bases would shift them).

    python bench/bench_knowledge.py                (from the repository root or bench/)
    python bench/bench_knowledge.py --recall-only  (recall@5 again, the timings kept)
"""

from __future__ import annotations

import asyncio
import datetime
import importlib
import inspect
import json
import random
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.integration.knowledge.conftest import NoProviders  # noqa: E402
from tests.integration.knowledge.labelled import is_answer, load  # noqa: E402

from flowstead.knowledge.embedding import BUILTIN_MODEL, embedders  # noqa: E402
from flowstead.knowledge.files import DocumentFiles  # noqa: E402
from flowstead.knowledge.ingest import Ingestor  # noqa: E402
from flowstead.knowledge.retrieval import KnowledgeRetriever, Mode  # noqa: E402
from flowstead.providers.http import HttpxHttpClient  # noqa: E402
from flowstead.store import Store, open_store  # noqa: E402
from flowstead.store.records import KnowledgeBase  # noqa: E402
from labelled_base import BACKENDS, labelled_base  # noqa: E402
from machine import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "knowledge.json"
CHUNKS = {"sqlite": 100_000, "surreal-mem": 1_000}
PARAGRAPHS_PER_DOCUMENT = 100
MODES: tuple[Mode, ...] = ("text", "vector", "hybrid")
SEED = 8
# Modules that open windows, print, or are not the library's documentation.
SKIPPED_MODULES = frozenset(
    {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "__main__"}
    | {"lib2to3", "ensurepip", "venv", "test", "pydoc_data", "xxsubtype"}
)


def stdlib_sentences() -> list[str]:
    """Sentences of the docstrings of the standard library's modules, classes and functions
    (a pool of about 10,000: at 100,000 chunks each sentence comes back a few dozen times)."""
    docs = []
    for name in sorted(sys.stdlib_module_names - SKIPPED_MODULES):
        try:
            module = importlib.import_module(name)
        except Exception:  # platform modules that do not import here
            continue
        for _, member in inspect.getmembers(module, _documented):
            if getattr(member, "__module__", None) != name:
                continue
            docs.append(inspect.getdoc(member) or "")
            if inspect.isclass(member):
                docs += [
                    inspect.getdoc(m) or "" for _, m in inspect.getmembers(member, _documented)
                ]
    text = re.sub(r"\s+", " ", " ".join(docs))
    found = {s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 30}
    return sorted(found)


def _documented(member: object) -> bool:
    return inspect.isroutine(member) or inspect.isclass(member)


def paragraphs(count: int) -> list[str]:
    """Paragraphs of 300 to 480 characters of seeded random sentences: one chunk each."""
    sentences = stdlib_sentences()
    rnd = random.Random(SEED)
    found = []
    for _ in range(count):
        paragraph = ""
        while len(paragraph) < 300:
            paragraph += rnd.choice(sentences) + " "
        found.append(paragraph[:480].strip())
    return found


async def ingest(
    store: Store, ingestor: Ingestor, files: DocumentFiles, chunks: int
) -> dict[str, Any]:
    kb = await store.knowledge_bases.create(name="bench", chunk_size=512, chunk_overlap=0)
    texts = paragraphs(chunks)
    documents = []
    for start in range(0, chunks, PARAGRAPHS_PER_DOCUMENT):
        body = "\n\n".join(texts[start : start + PARAGRAPHS_PER_DOCUMENT]).encode()
        document = await store.documents.add(kb_id=kb.id, name=f"doc-{start}.txt", source="upload")
        await files.save(kb.id, document.id, body)
        documents.append(document)
    started = time.perf_counter()
    total = 0
    for document in documents:
        result = await ingestor.ingest(document.id)
        assert result.status == "ready", result
        total += result.chunks
    seconds = time.perf_counter() - started
    return {
        "documents": len(documents),
        "chunks": total,
        "seconds": round(seconds, 2),
        "chunks_per_s": round(total / seconds, 1),
    }


async def latencies(retriever: KnowledgeRetriever, kb: KnowledgeBase) -> dict[str, Any]:
    queries = [q["query"] for q in load()["queries"]]
    started = time.perf_counter()
    await retriever.search([kb], queries[0], top_k=5, mode="vector")
    first_vector_ms = (time.perf_counter() - started) * 1000
    figures: dict[str, Any] = {"queries": len(queries), "top_k": 5}
    for mode in MODES:
        times = []
        for query in queries:
            started = time.perf_counter()
            await retriever.search([kb], query, top_k=5, mode=mode)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        figures[mode] = {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95)], 2),
        }
    figures["first_vector_search_ms"] = round(first_vector_ms, 1)
    return figures


async def recall(name: str) -> dict[str, Any]:
    """Recall@5 per method on each part of the labelled set, in a fresh store each."""
    figures: dict[str, Any] = {}
    for part in ("tuning", "held-out", "all"):
        async with labelled_base(name, part) as base:
            retriever = KnowledgeRetriever(base.store, base.embedder_for)
            queries = base.data["queries"]
            figures[part] = {"queries": len(queries)}
            for mode in MODES:
                hits = 0
                for query in queries:
                    found = await retriever.search([base.kb], query["query"], top_k=5, mode=mode)
                    hits += any(is_answer(query, f.document, f.chunk.metadata) for f in found)
                figures[part][mode] = round(hits / len(queries), 3)
    return figures


async def backend(name: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        async with (
            await open_store(BACKENDS[name].format(dir=data_dir), data_dir) as store,
            HttpxHttpClient() as http,
        ):
            files = DocumentFiles(data_dir)
            embedder_for = embedders(NoProviders())
            ingestor = Ingestor(store, files, http, embedder_for, max_bytes=1 << 24)
            print(f"{name}: ingesting {CHUNKS[name]:,} chunks", flush=True)
            ingestion = await ingest(store, ingestor, files, CHUNKS[name])
            print(f"{name}: {ingestion}", flush=True)
            [kb] = await store.knowledge_bases.list()
            retrieval = await latencies(KnowledgeRetriever(store, embedder_for), kb)
            print(f"{name}: {retrieval}", flush=True)
    quality = await recall(name)
    print(f"{name}: recall@5 {quality}", flush=True)
    return {"ingestion": ingestion, "retrieval": retrieval, "recall_at_5": quality}


async def main() -> None:
    warnings.simplefilter("ignore")  # deprecated modules warn as they are imported
    if "--recall-only" in sys.argv[1:]:
        results = json.loads(RESULTS.read_text())
        for name in BACKENDS:
            results["backends"][name]["recall_at_5"] = quality = await recall(name)
            print(f"{name}: recall@5 {quality}", flush=True)
        results["recall_at_5_measured"] = datetime.datetime.now(datetime.UTC).isoformat(
            timespec="seconds"
        )
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {RESULTS}")
        return
    data = load()
    results = {
        "machine": machine(),
        "embedding_model": {"name": BUILTIN_MODEL, "dimensions": 64},
        "labelled_set": {
            "documents": len(data["documents"]),
            "queries": len(data["queries"]),
        },
        "backends": {},
    }
    for name in BACKENDS:
        results["backends"][name] = await backend(name)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())

"""Knowledge search in every adapter: full-text (BM25), vectors (cosine), filters, re-index."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowstead.store import Conflict, NotFound, Store, open_store
from flowstead.store.records import NewChunk, RetrievalSettings
from flowstead.store.sqlite import SqliteStore
from flowstead.store.sqlite.knowledge import POSTINGS_BUDGET
from flowstead.store.surreal import SurrealStore
from tests.integration.store.raw import migrate_again, raw_rows

MISSING = "00000000-0000-4000-8000-000000000000"


def unit(*values: float) -> list[float]:
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


async def manuals(store: Store) -> tuple[str, str, str]:
    """A knowledge base with two documents of three chunks each; (kb, guide, faq) ids."""
    kb = await store.knowledge_bases.create(name="Manuals")
    guide = await store.documents.add(kb_id=kb.id, name="guide.md")
    faq = await store.documents.add(kb_id=kb.id, name="faq.md")
    await store.chunks.add_many(
        guide.id,
        [
            NewChunk(
                position=0,
                content="Install the printer driver before connecting the cable.",
                metadata={"lang": "en", "page": 1},
                embedding=unit(1, 0, 0),
            ),
            NewChunk(
                position=1,
                content="Printers print pages; the printing queue holds jobs.",
                metadata={"lang": "en", "page": 2},
                embedding=unit(1, 1, 0),
            ),
            NewChunk(
                position=2,
                content="Le pilote de l'imprimante s'installe d'abord.",
                metadata={"lang": "fr", "page": 3},
                embedding=unit(0, 1, 0),
            ),
        ],
    )
    await store.chunks.add_many(
        faq.id,
        [
            NewChunk(
                position=0,
                content="Reset the router by holding its button.",
                metadata={"lang": "en"},
                embedding=unit(0, 0, 1),
            ),
            NewChunk(
                position=1,
                content="Cables: use the shielded cable for long runs.",
                metadata={"lang": "en"},
                embedding=unit(0, 1, 1),
            ),
            NewChunk(position=2, content="No embedding here: printer notes.", metadata={}),
        ],
    )
    return kb.id, guide.id, faq.id


async def test_text_search_matches_any_term_best_first(store: Store) -> None:
    kb, _, _ = await manuals(store)

    hits = await store.chunks.search_text([kb], ["printer", "queue"], limit=10)

    contents = [hit.chunk.content for hit in hits]
    # Stemmed: "printers"/"printing" match "printer"; the chunk with both terms ranks first.
    assert contents[0] == "Printers print pages; the printing queue holds jobs."
    assert set(contents) == {
        "Printers print pages; the printing queue holds jobs.",
        "Install the printer driver before connecting the cable.",
        "No embedding here: printer notes.",
    }
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(hit.chunk.embedding is None for hit in hits)
    assert hits[0].chunk.metadata == {"lang": "en", "page": 2}


async def test_text_search_limit_filters_and_knowledge_bases(store: Store) -> None:
    kb, guide, _ = await manuals(store)
    other = await store.knowledge_bases.create(name="Other")
    doc = await store.documents.add(kb_id=other.id, name="x.txt")
    await store.chunks.add_many(doc.id, [NewChunk(position=0, content="printer elsewhere")])

    assert len(await store.chunks.search_text([kb], ["printer"], limit=1)) == 1
    only_page_1 = await store.chunks.search_text(
        [kb], ["printer", "cable"], limit=10, filters={"page": [1]}
    )
    assert [h.chunk.document_id for h in only_page_1] == [guide]
    assert [h.chunk.position for h in only_page_1] == [0]
    english_cables = await store.chunks.search_text(
        [kb], ["cable"], limit=10, filters={"lang": ["en", "de"]}
    )
    assert len(english_cables) == 2
    both = await store.chunks.search_text([kb, other.id], ["printer"], limit=10)
    assert {h.chunk.kb_id for h in both} == {kb, other.id}
    assert await store.chunks.search_text([], ["printer"], limit=10) == []
    assert await store.chunks.search_text([kb], [], limit=10) == []
    assert await store.chunks.search_text([kb], ["zebra"], limit=10) == []


async def test_vector_search_ranks_by_cosine_similarity(store: Store) -> None:
    kb, guide, faq = await manuals(store)

    hits = await store.chunks.search_vector([kb], unit(1, 0.1, 0), limit=3)

    assert [(h.chunk.document_id, h.chunk.position) for h in hits] == [
        (guide, 0),
        (guide, 1),
        (guide, 2),
    ]
    assert hits[0].score == pytest.approx(unit(1, 0.1, 0)[0], abs=1e-4)
    assert all(hit.chunk.embedding is None for hit in hits)
    near_router = await store.chunks.search_vector([kb], unit(0, 0.2, 1), limit=1)
    assert [(h.chunk.document_id, h.chunk.position) for h in near_router] == [(faq, 0)]


async def test_vector_search_filters_and_dimensions(store: Store) -> None:
    kb, guide, _faq = await manuals(store)
    other = await store.knowledge_bases.create(name="Wide")
    doc = await store.documents.add(kb_id=other.id, name="x.txt")
    await store.chunks.add_many(
        doc.id, [NewChunk(position=0, content="four", embedding=unit(1, 0, 0, 0))]
    )

    french = await store.chunks.search_vector(
        [kb], unit(1, 0, 0), limit=5, filters={"lang": ["fr"]}
    )
    assert [(h.chunk.document_id, h.chunk.position) for h in french] == [(guide, 2)]
    # Only vectors of the query's size take part.
    three = await store.chunks.search_vector([kb, other.id], unit(1, 0, 0), limit=10)
    assert {h.chunk.kb_id for h in three} == {kb}
    four = await store.chunks.search_vector([kb, other.id], unit(1, 0, 0, 0), limit=10)
    assert [h.chunk.content for h in four] == ["four"]
    assert await store.chunks.search_vector([kb], unit(1, 0, 0, 0, 0), limit=10) == []
    assert await store.chunks.search_vector([MISSING], unit(1, 0, 0), limit=10) == []


async def test_replace_swaps_a_documents_chunks_for_both_searches(store: Store) -> None:
    kb, guide, _faq = await manuals(store)
    assert len(await store.chunks.search_vector([kb], unit(1, 0, 0), limit=10)) == 5

    await store.chunks.replace(
        guide,
        [NewChunk(position=0, content="Toner cartridges, replaced", embedding=unit(0, 0, -1))],
    )

    assert [c.content for c in await store.chunks.list(guide)] == ["Toner cartridges, replaced"]
    assert await store.chunks.search_text([kb], ["driver"], limit=10) == []
    assert [h.chunk.content for h in await store.chunks.search_text([kb], ["toner"], limit=5)] == [
        "Toner cartridges, replaced"
    ]
    nearest = await store.chunks.search_vector([kb], unit(0, 0, -1), limit=1)
    assert [h.chunk.content for h in nearest] == ["Toner cartridges, replaced"]
    assert len(await store.chunks.search_vector([kb], unit(1, 0, 0), limit=10)) == 3
    with pytest.raises(NotFound):
        await store.chunks.replace(MISSING, [])


async def test_deleting_a_document_removes_it_from_both_searches(store: Store) -> None:
    kb, guide, faq = await manuals(store)
    assert len(await store.chunks.search_vector([kb], unit(1, 0, 0), limit=10)) == 5

    assert await store.documents.delete(guide) is True

    assert {
        h.chunk.document_id for h in await store.chunks.search_text([kb], ["printer"], limit=10)
    } == {faq}
    remaining = await store.chunks.search_vector([kb], unit(1, 0, 0), limit=10)
    assert {h.chunk.document_id for h in remaining} == {faq}
    assert await store.knowledge_bases.delete(kb) is True
    assert await store.chunks.search_text([kb], ["router"], limit=10) == []
    assert await store.chunks.search_vector([kb], unit(0, 0, 1), limit=10) == []


async def test_knowledge_base_settings_update_and_lookup_by_name(store: Store) -> None:
    kb = await store.knowledge_bases.create(name="Manuals", separators=["\n\n", "\n"])
    await store.knowledge_bases.create(name="Archive")

    updated = await store.knowledge_bases.update(
        kb.id,
        name="Guides",
        description="how-tos",
        embedding_provider="ollama",
        embedding_model="nomic-embed-text",
        chunk_size=800,
        chunk_overlap=80,
        separators=["\n## "],
        retrieval=RetrievalSettings(mode="text", vector_weight=0.25),
    )

    assert kb.separators == ["\n\n", "\n"]
    assert kb.retrieval == RetrievalSettings(mode="hybrid", vector_weight=None)
    assert updated.retrieval == RetrievalSettings(mode="text", vector_weight=0.25)
    assert (updated.name, updated.embedding_model, updated.chunk_size) == (
        "Guides",
        "nomic-embed-text",
        800,
    )
    assert updated.separators == ["\n## "]
    assert await store.knowledge_bases.get(kb.id) == updated
    assert await store.knowledge_bases.get_by_name("Guides") == updated
    assert await store.knowledge_bases.get_by_name("Manuals") is None
    settings = {
        "description": "",
        "embedding_provider": None,
        "embedding_model": None,
        "chunk_size": 512,
        "chunk_overlap": 64,
        "separators": [],
        "retrieval": RetrievalSettings(),
    }
    with pytest.raises(Conflict):
        await store.knowledge_bases.update(kb.id, name="Archive", **settings)
    with pytest.raises(NotFound):
        await store.knowledge_bases.update(MISSING, name="Nowhere", **settings)


async def test_retrieval_settings_are_kept_and_default_for_older_knowledge_bases(
    store: Store,
) -> None:
    chosen = RetrievalSettings(mode="vector", vector_weight=0.0)
    kb = await store.knowledge_bases.create(name="Tuned", retrieval=chosen)
    [listed] = await store.knowledge_bases.list()
    assert (kb.retrieval, listed.retrieval) == (chosen, chosen)

    # A knowledge base from before retrieval settings, as migration 3 found it.
    if isinstance(store, SqliteStore):
        await store._db.write(
            "INSERT INTO knowledge_bases (id, name, chunk_size, chunk_overlap, created_at,"
            " updated_at) VALUES (?, 'Old', 512, 64, 0, 0)",
            (MISSING,),
        )
    else:
        assert isinstance(store, SurrealStore)
        await store._db.write(
            "DELETE migration:3; CREATE knowledge_base:old SET name = 'Old', chunk_size = 512,"
            " chunk_overlap = 64, created_at = 0, updated_at = 0"
        )
        assert await migrate_again(store) == [3]
        [old] = [row for row in await raw_rows(store, "knowledge_base") if row["name"] == "Old"]
        assert old["retrieval"] == {"mode": "hybrid"}
    older = await store.knowledge_bases.get_by_name("Old")
    assert older is not None
    assert older.retrieval == RetrievalSettings(mode="hybrid", vector_weight=None)


async def test_a_fetched_file_is_recorded_on_its_document(store: Store) -> None:
    kb = await store.knowledge_bases.create(name="Web")
    doc = await store.documents.add(
        kb_id=kb.id, name="example.com/page", source="https://example.com/page"
    )

    fetched = await store.documents.set_file(doc.id, size=2048, content_type="text/html")

    assert (fetched.size, fetched.content_type) == (2048, "text/html")
    assert await store.documents.get(doc.id) == fetched
    with pytest.raises(NotFound):
        await store.documents.set_file(MISSING, size=1, content_type="")


async def test_another_sqlite_connection_sees_new_vectors(tmp_path: Path) -> None:
    """The vector cache of one process notices chunks another process wrote."""
    url = f"sqlite:///{tmp_path}/flowstead.db"
    async with await open_store(url, tmp_path) as reader, await open_store(url, tmp_path) as writer:
        kb, guide, _ = await manuals(writer)
        assert len(await reader.chunks.search_vector([kb], unit(1, 0, 0), limit=10)) == 5

        await writer.chunks.replace(guide, [])

        assert len(await reader.chunks.search_vector([kb], unit(1, 0, 0), limit=10)) == 2


async def test_sqlite_text_search_stays_within_its_postings_budget(tmp_path: Path) -> None:
    """Common words are left out of the query while rarer ones carry it; when every word is
    common, the rows holding them all come first."""
    async with await open_store(f"sqlite:///{tmp_path}/flowstead.db", tmp_path) as store:
        kb = await store.knowledge_bases.create(name="Big")
        doc = await store.documents.add(kb_id=kb.id, name="big.txt")
        many = [
            NewChunk(position=n, content=f"common filler {'widely' if n % 2 else ''} {n}")
            for n in range(POSTINGS_BUDGET + 100)
        ]
        await store.chunks.add_many(
            doc.id,
            [
                *many,
                NewChunk(position=-1, content="common and rare together"),
                NewChunk(position=-2, content="common widely both"),
            ],
        )

        rare = await store.chunks.search_text([kb.id], ["common", "rare"], limit=3)
        both = await store.chunks.search_text([kb.id], ["common", "widely"], limit=3)
        alone = await store.chunks.search_text([kb.id], ["filler"], limit=3)

    assert [h.chunk.content for h in rare] == ["common and rare together"]
    assert len(both) == 3
    assert all("common" in h.chunk.content and "widely" in h.chunk.content for h in both)
    assert len(alone) == 3

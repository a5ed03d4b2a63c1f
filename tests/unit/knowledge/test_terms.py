from __future__ import annotations

from flowstead.knowledge.terms import MAX_TERMS, query_terms


def test_words_lowercased_distinct_without_stopwords() -> None:
    assert query_terms("How do I open the file? The FILE, not a folder!") == [
        "open",
        "file",
        "folder",
    ]


def test_only_stopwords_are_kept_rather_than_nothing() -> None:
    assert query_terms("to be or not to be") == ["to", "be", "or", "not"]


def test_punctuation_alone_has_no_terms_and_long_queries_are_capped() -> None:
    assert query_terms("?! -- ...") == []
    assert len(query_terms(" ".join(f"w{n}" for n in range(40)))) == MAX_TERMS
    assert query_terms("café naïve") == ["café", "naïve"]

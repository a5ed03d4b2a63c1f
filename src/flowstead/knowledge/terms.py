"""The words of a query that full-text search looks for."""

from __future__ import annotations

import re

MAX_TERMS = 16
_WORD = re.compile(r"\w+")
# Words so common that matching them says nothing about relevance, and that make a
# full-text index read most of its postings.
_STOPWORDS_TEXT = """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def query_terms(query: str) -> list[str]:
    """Distinct lower-cased words of the query, stopwords left out unless nothing else is."""
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
    meaningful = [word for word in words if word not in STOPWORDS]
    return (meaningful or words)[:MAX_TERMS]

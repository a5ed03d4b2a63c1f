"""Every corpus file runs end to end against the fake servers and ends as `corpus.py` says:
succeeded, or failed or refused for the reason it names (a missing plugin, model or
knowledge base, a reference the file itself gets wrong), never with an engine error."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.mediawiki import FakeMediaWiki
from tests.fakes.models import FakeModelServer
from tests.fakes.searxng import FakeSearXNG
from tests.integration.dify.conftest import CORPUS_FILES, needs_corpus
from tests.integration.dify.corpus import SCENARIOS, WIKIPEDIA
from tests.integration.dify.corpus_table import key
from tests.integration.dify.runner import Servers, run_corpus_file
from tests.integration.dify.web import FakeWeb

pytestmark = needs_corpus


@pytest.fixture(scope="module")
def model() -> Iterator[FakeModelServer]:
    with FakeModelServer("openai") as server:
        yield server


@pytest.fixture(scope="module")
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        yield server


@pytest.fixture(scope="module")
def servers(model: FakeModelServer, web: FakeWeb) -> Iterator[Servers]:
    with FakeSearXNG() as searxng, FakeMediaWiki(WIKIPEDIA) as wikipedia:
        yield Servers(model, web, searxng, wikipedia)


def test_every_corpus_file_has_a_scenario() -> None:
    assert sorted(map(key, CORPUS_FILES)) == sorted(SCENARIOS)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=key)
async def test_the_run_ends_as_expected(path: Path, servers: Servers, tmp_path: Path) -> None:
    scenario = SCENARIOS[key(path)]
    model, web = servers.model, servers.web
    web.misses.clear()
    model.requests.clear()
    outcome = await run_corpus_file(path, scenario, servers, tmp_path)
    assert "engine error" not in (outcome.error or "")
    assert outcome.status == scenario.status, outcome
    assert scenario.error in (outcome.error or ""), outcome
    assert [n for n in scenario.reaches if n not in outcome.finished] == [], outcome
    if scenario.status in ("succeeded", "partial_succeeded"):
        assert outcome.failed.keys() == scenario.failing.keys(), outcome
        for node_id, error in scenario.failing.items():
            assert error in outcome.failed[node_id], outcome
    assert web.misses == [], "the fake web has no page for these"
    # The document was run as imported: its own model names, on the providers configured.
    asked = {r.json["model"] for r in model.requests if r.path.endswith("/chat/completions")}
    assert asked <= outcome.models


async def test_an_extractor_that_finds_nothing_leaves_iterations_over_nothing(
    servers: Servers, tmp_path: Path
) -> None:
    """As in Dify, an iteration over a list the extractor did not find runs zero times."""
    (path,) = [p for p in CORPUS_FILES if key(p) == "04"]
    nothing = (("You extract structured parameters from text", "{}"),)
    scenario = dataclasses.replace(SCENARIOS["04"], answers=nothing, failing={})
    outcome = await run_corpus_file(path, scenario, servers, tmp_path)
    assert (outcome.status, outcome.failed) == ("succeeded", {}), outcome
    assert {"iteration", "iteration_4", "answer_5"} <= set(outcome.finished)

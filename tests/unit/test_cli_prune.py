"""`flowstead prune --older-than DAYS` on a SQLite file in a temporary data dir."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from flowstead.cli import main
from flowstead.services.retention import DAY_SECONDS
from flowstead.settings import Settings
from flowstead.store import open_store


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("FLOWSTEAD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FLOWSTEAD_DATABASE_URL", raising=False)
    return Settings.from_env()


async def finished_runs(settings: Settings, *days_ago: float) -> list[str]:
    """Runs that finished that many days ago, one each."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ids = []
    async with await open_store(settings.database_url, settings.data_dir) as store:
        workflow = await store.workflows.create(name="w", document={})
        for _ in days_ago:
            run = await store.runs.create(workflow_id=workflow.id, inputs={})
            job = await store.jobs.claim_next("w1", 30)
            await store.runs.finish(run.id, status="succeeded", done_job=job)
            ids.append(run.id)
    with closing(sqlite3.connect(settings.data_dir / "flowstead.db")) as conn, conn:
        for run_id, days in zip(ids, days_ago, strict=True):
            conn.execute(
                "UPDATE runs SET finished_at = finished_at - ? WHERE id = ?",
                (days * DAY_SECONDS, run_id),
            )
    return ids


async def run_ids(settings: Settings) -> list[str]:
    async with await open_store(settings.database_url, settings.data_dir) as store:
        return [run.id for run in await store.runs.list()]


def test_prune_deletes_the_runs_older_than_asked_and_says_how_many(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    _old, _older, recent = asyncio.run(finished_runs(settings, 10, 40, 2))

    assert main(["prune", "--older-than", "7"]) == 0
    assert "deleted 2 runs that finished more than 7 days ago" in capsys.readouterr().out
    assert asyncio.run(run_ids(settings)) == [recent]

    assert main(["prune", "--older-than", "1.5"]) == 0
    assert "deleted 1 run that finished more than 1.5 days ago" in capsys.readouterr().out


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_prune_needs_a_positive_number_of_days(
    settings: Settings, days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["prune", "--older-than", days])
    assert stopped.value.code == 2
    assert "--older-than" in capsys.readouterr().err

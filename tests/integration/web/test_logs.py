"""Logs: this process's lines and log files, colours kept, everything else escaped."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from tests.integration.web.conftest import ADMIN, HTMX, Client, assert_ok, text_of


async def test_recent_lines_of_this_process(client: Client) -> None:
    logging.getLogger("flowstead.test").warning(
        "disk \x1b[31malmost\x1b[0m full <b>", extra={"free_mb": 12}
    )
    page = assert_ok(await client.get("/logs", headers=ADMIN))
    assert '<span class="ansi-fg-red">almost</span>' in page
    assert "&lt;b&gt;" in page
    assert "<b>" not in page
    assert "free_mb" in page
    assert "level-warning" in page


async def test_filters_by_level_and_text(client: Client) -> None:
    logging.getLogger("flowstead.test").error("needle in the haystack")
    logging.getLogger("flowstead.test").warning("just hay")
    found = text_of(assert_ok(await client.get("/logs?level=ERROR&q=needle", headers=HTMX)))
    assert "needle in the haystack" in found
    assert "just hay" not in found
    nothing = text_of(assert_ok(await client.get("/logs?q=zebra-zebra", headers=HTMX)))
    assert "No log lines" in nothing


async def test_log_files_in_the_data_dir(client: Client, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    line = json.dumps(
        {
            "time": "2026-01-01T00:00:00.000+00:00",
            "level": "INFO",
            "logger": "flowstead.worker",
            "message": "worker started",
        }
    )
    (logs / "worker.log").write_text(f"{line}\n\x1b[1;32msupervisord\x1b[0m says hi\n")
    page = assert_ok(await client.get("/logs?source=worker", headers=ADMIN))
    assert "worker started" in page
    assert '<span class="ansi-fg-green ansi-bold">supervisord</span>' in page
    assert "<option selected>worker</option>" in page

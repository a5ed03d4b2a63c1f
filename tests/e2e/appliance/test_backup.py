"""Backup a running appliance, wipe the data dir, restore: the same workflows, versions,
runs and keys."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.appliance.flows import bearer, published_llm_workflow, start_run, wait_finished
from tests.e2e.appliance.harness import Appliance, running
from tests.integration.api.processes import LockstepModelServer, flowstead_command

pytestmark = pytest.mark.e2e

PASSWORD = "backup test password"
ADMIN = bearer(PASSWORD)


def state(app: Appliance, workflow_id: str) -> dict[str, Any]:
    get = lambda path: httpx.get(f"{app.api_url}{path}", headers=ADMIN).json()  # noqa: E731
    return {
        "workflows": sorted((w["id"], w["name"]) for w in get("/api/workflows")),
        "versions": [v["number"] for v in get(f"/api/workflows/{workflow_id}/versions")],
        "runs": sorted((r["id"], r["status"]) for r in get("/api/runs")),
        "keys": [k["id"] for k in get(f"/api/workflows/{workflow_id}/keys")],
        "tokens": [t["id"] for t in get("/api/tokens")],
    }


def test_backup_wipe_restore(data_dir: Path, model: LockstepModelServer, tmp_path: Path) -> None:
    from tests.e2e.appliance.harness import program_env

    env = program_env(data_dir, {"FLOWSTEAD_PASSWORD": PASSWORD})
    archive = tmp_path / "flowstead.tar.gz"
    with running(data_dir, env) as app:
        workflow_id = published_llm_workflow(app.api_url, ADMIN, model)
        assert httpx.post(
            f"{app.api_url}/api/workflows/{workflow_id}/versions", headers=ADMIN
        ).is_success
        run = wait_finished(app, ADMIN, start_run(app.api_url, ADMIN, workflow_id))
        assert run["status"] == "succeeded"
        key = httpx.post(
            f"{app.api_url}/api/workflows/{workflow_id}/keys", json={}, headers=ADMIN
        ).json()["key"]
        token = httpx.post(f"{app.api_url}/api/tokens", json={"name": "ci"}, headers=ADMIN).json()[
            "token"
        ]
        before = state(app, workflow_id)
        subprocess.run(
            [*flowstead_command(), "backup", "--output", str(archive)], env=env, check=True
        )
        refused = subprocess.run(
            [*flowstead_command(), "restore", str(archive)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode == 1
        assert "is running" in refused.stderr

    shutil.rmtree(data_dir)
    restored = subprocess.run(
        [*flowstead_command(), "restore", str(archive)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "restored the sqlite database" in restored.stdout
    with running(data_dir, env) as app:
        assert state(app, workflow_id) == before
        assert sorted(before["versions"]) == [1, 2]
        assert len(before["runs"]) == 1
        assert httpx.get(f"{app.api_url}/v1/info", headers=bearer(key)).status_code == 200
        assert httpx.get(f"{app.api_url}/api/tokens", headers=bearer(token)).status_code == 200
        # The provider's secret still decrypts: runs still reach the model.
        run = wait_finished(app, ADMIN, start_run(app.api_url, ADMIN, workflow_id))
        assert run["status"] == "succeeded"

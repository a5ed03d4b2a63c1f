"""`flowstead backup` / `restore` on a real SQLite data dir, taken while a store is open."""

from __future__ import annotations

import json
import stat
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest

from flowstead.appliance.backup import (
    MANIFEST,
    RestoreRefused,
    create_backup,
    prune,
    restore_backup,
    running_processes,
    scheduled_backups,
)
from flowstead.appliance.schedule import run_schedule
from flowstead.services.notify import Notifier
from flowstead.settings import Settings
from flowstead.store import Store, open_store
from flowstead.store.backup import BackupUnsupported

DOCUMENT: dict[str, Any] = {"flowstead": 1, "nodes": [], "edges": []}


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    return Settings.from_env({}, data_dir=data_dir, password="pw", **overrides)


async def fill(store: Store, data_dir: Path) -> dict[str, Any]:
    workflow = await store.workflows.create(name="Kept", document=DOCUMENT)
    await store.workflows.publish(workflow.id)
    run = await store.runs.create(workflow_id=workflow.id, inputs={"q": "x"}, version=1)
    await store.events.append(run.id, "run_started", {"n": 1})
    _key, plaintext = await store.api_keys.create(workflow.id, "app")
    _token, admin_token = await store.admin_tokens.create("ci")
    await store.providers.put("openai", kind="openai", secrets={"api_key": "sk-kept"})
    (data_dir / "uploads").mkdir(exist_ok=True)
    (data_dir / "uploads" / "file-1").write_bytes(b"uploaded bytes")
    return {"workflow": workflow.id, "run": run.id, "key": plaintext, "token": admin_token}


async def contents(store: Store, made: dict[str, Any]) -> dict[str, Any]:
    provider = await store.providers.get("openai")
    return {
        "workflows": [w.name for w in await store.workflows.list()],
        "versions": [v.number for v in await store.workflows.list_versions(made["workflow"])],
        "runs": [r.id for r in await store.runs.list()],
        "events": [e.seq for e in await store.events.read(made["run"])],
        "key": (await store.api_keys.verify(made["key"])) is not None,
        "token": (await store.admin_tokens.verify(made["token"])) is not None,
        "provider_secret": provider.secrets if provider else None,
    }


async def test_backup_while_open_wipe_restore_gives_the_same_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = settings_for(data_dir)
    store = await open_store(settings.database_url, data_dir)
    async with store:
        made = await fill(store, data_dir)
        before = await contents(store, made)
        archive = create_backup(settings, tmp_path / "backup.tar.gz")
        # Writes after the snapshot are not in it.
        await store.workflows.create(name="Later", document=DOCUMENT)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert manifest["database"] == "sqlite"
    assert {"database/flowstead.db", "files/uploads/file-1", "files/secret.key"} <= names
    assert not any(n.startswith(("files/run", "files/flowstead.db")) for n in names)

    for path in sorted(data_dir.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    restored = restore_backup(settings, archive)
    assert restored.database == "sqlite"
    assert (data_dir / "uploads" / "file-1").read_bytes() == b"uploaded bytes"
    async with await open_store(settings.database_url, data_dir) as reopened:
        assert await contents(reopened, made) == before
    assert before["workflows"] == ["Kept"]
    assert before["key"]
    assert before["token"]
    assert before["provider_secret"] == {"api_key": "sk-kept"}


async def test_restore_refuses_a_running_instance_unless_forced(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = settings_for(data_dir)
    async with await open_store(settings.database_url, data_dir) as store:
        made = await fill(store, data_dir)
        archive = create_backup(settings, tmp_path / "backup.tar.gz")
        await store.workflows.delete(made["workflow"])
        async with Notifier.for_data_dir(data_dir):
            assert running_processes(data_dir)
            with pytest.raises(RestoreRefused, match="running"):
                restore_backup(settings, archive)
            restore_backup(settings, archive, force=True)
            # The open connections see the restored database.
            assert [w.name for w in await store.workflows.list()] == ["Kept"]
    assert running_processes(data_dir) == []


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(__file__, arcname="something.py")
    with pytest.raises(RestoreRefused, match=r"manifest\.json"):
        restore_backup(settings_for(tmp_path / "data"), bogus)


def test_embedded_surrealdb_has_no_online_backup(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, database_url="mem://")
    with pytest.raises(BackupUnsupported):
        create_backup(settings)


async def test_scheduled_backups_write_and_keep_the_newest(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = settings_for(data_dir, backup_interval_hours=1.0, backup_keep=2)
    async with await open_store(settings.database_url, data_dir):
        pass
    for _ in range(3):
        create_backup(settings)
    assert len(scheduled_backups(data_dir)) == 3
    newest = scheduled_backups(data_dir)[-2:]
    assert prune(data_dir, keep=2)
    assert scheduled_backups(data_dir) == newest

    # With none due (the newest is fresh), the schedule only waits until stopped.
    stop = threading.Event()
    stop.set()
    assert run_schedule(settings, stop) == 0
    assert scheduled_backups(data_dir) == newest


def test_scheduled_backups_off_exit_cleanly(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()  # no need to wait out supervisord's startsecs here
    assert run_schedule(settings_for(tmp_path), stop) == 0
    assert not (tmp_path / "backups").exists()


async def test_the_schedule_backs_up_at_once_when_none_exists(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = settings_for(data_dir, backup_interval_hours=24.0, backup_keep=3)
    async with await open_store(settings.database_url, data_dir):
        pass
    stop = threading.Event()
    thread = threading.Thread(target=run_schedule, args=(settings, stop))
    thread.start()
    try:
        for _ in range(500):
            if scheduled_backups(data_dir):
                break
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert len(scheduled_backups(data_dir)) == 1

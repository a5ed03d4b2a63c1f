"""`flowstead backup` and `flowstead restore`: the data dir as one archive, taken while the
instance runs, and put back.

The archive (`.tar.gz`, mode 0600: it holds the keys) has `manifest.json`, `database/`
(a consistent SQLite snapshot, or the SurrealDB server's export) and `files/`: everything
else in the data dir (uploads, knowledge files, `secret.key` for provider secrets,
`session.key`), without runtime files (`run/`, supervisord's pid file and socket), earlier
backups (`backups/`) and the database server's own files (`surreal/`, which the export
replaces).

Scheduled backups (`schedule.py`) go into `<data dir>/backups`; `prune` keeps the newest.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowstead import __version__
from flowstead.appliance.startup import run_dir
from flowstead.settings import Settings
from flowstead.store.backup import (
    database_kind,
    export_surreal,
    import_surreal,
    restore_sqlite,
    snapshot_sqlite,
    sqlite_file,
)

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
BACKUPS_DIR = "backups"
NAME_PREFIX = "flowstead-backup-"
NAME_SUFFIX = ".tar.gz"
# Not part of a backup: runtime files, earlier backups, the database server's own files.
SKIPPED_DIRS = frozenset({"run", BACKUPS_DIR, "surreal"})
SKIPPED_FILES = frozenset({"supervisord.pid", "supervisor.sock"})
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
DATABASE_MEMBER = {"sqlite": "database/flowstead.db", "surrealdb": "database/surreal.surql"}


class RestoreRefused(Exception):
    """The restore would do harm; the message says what to do instead."""


def backups_dir(data_dir: Path) -> Path:
    return data_dir / BACKUPS_DIR


def backup_name(now: datetime) -> str:
    return f"{NAME_PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}{NAME_SUFFIX}"


def _database_files(settings: Settings, data_dir: Path) -> set[Path]:
    if database_kind(settings.database_url) != "sqlite":
        return set()
    path = sqlite_file(settings.database_url, data_dir).resolve()
    return {path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS}


def _data_files(data_dir: Path, skipped: set[Path]) -> Iterator[Path]:
    for root, dirs, files in os.walk(data_dir):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not (here == data_dir and d in SKIPPED_DIRS) and (here / d) not in skipped
        )
        for name in sorted(files):
            path = here / name
            if path in skipped or name.endswith(".partial"):
                continue
            if not (here == data_dir and name in SKIPPED_FILES):
                yield path


def _manifest(kind: str) -> bytes:
    return json.dumps(
        {
            "format": ARCHIVE_FORMAT,
            "flowstead": __version__,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": kind,
            "database_member": DATABASE_MEMBER[kind],
        },
        indent=2,
    ).encode()


def create_backup(settings: Settings, output: Path | None = None) -> Path:
    """Write one archive of the data dir (see the module docstring); returns its path."""
    data_dir = settings.data_dir.resolve()
    kind = database_kind(settings.database_url)
    output = (output or backups_dir(data_dir) / backup_name(datetime.now(UTC))).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as work:
        snapshot = Path(work) / Path(DATABASE_MEMBER[kind]).name
        if kind == "sqlite":
            snapshot_sqlite(sqlite_file(settings.database_url, data_dir), snapshot)
        else:
            export_surreal(settings.database_url, snapshot)
        skipped = _database_files(settings, data_dir) | {output, Path(work)}
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                manifest = _manifest(kind)
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(manifest), int(time.time()), 0o600
                tar.addfile(info, fileobj=_Bytes(manifest))
                tar.add(snapshot, arcname=DATABASE_MEMBER[kind])
                for path in _data_files(data_dir, skipped):
                    tar.add(path, arcname=f"files/{path.relative_to(data_dir)}", recursive=False)
            os.replace(partial, output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return output


class _Bytes:
    """A tiny readable for `TarFile.addfile`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        chunk, self._data = (
            (self._data, b"") if size < 0 else (self._data[:size], self._data[size:])
        )
        return chunk


# --- is an instance running on this data dir? -------------------------------------------


def running_processes(data_dir: Path) -> list[str]:
    """The Flowstead processes alive on this data dir, by the sockets and pid file they hold."""
    found: list[str] = []
    pidfile = data_dir / "supervisord.pid"
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
        found.append(f"supervisord (pid {pid})")
    except (OSError, ValueError):
        pass
    notify = run_dir(data_dir) / "notify"
    for sock_path in sorted(notify.glob("*.sock")) if notify.is_dir() else []:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(str(sock_path))
            except OSError:
                continue
        found.append(f"a Flowstead process (pid {sock_path.name.split('-', 1)[0]})")
    return found


# --- restore -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    database: str
    files: int
    created_at: str


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise RestoreRefused("this is not a Flowstead backup (it has no manifest.json)")
    manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise RestoreRefused(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def restore_backup(settings: Settings, archive: Path, *, force: bool = False) -> Restored:
    """Put an archive's database and files back into the settings' data dir.

    Refuses while an instance runs on the data dir, unless `force` (an SQLite database is
    then restored through SQLite's backup API, so open connections see the new data; the
    programs should still be restarted)."""
    data_dir = settings.data_dir.resolve()
    live = running_processes(data_dir)
    if live and not force:
        raise RestoreRefused(
            f"an instance is running on {data_dir} ({', '.join(live)}); stop it first,"
            " or pass --force to restore into it"
        )
    kind = database_kind(settings.database_url)
    with tarfile.open(archive, "r:gz") as tar:
        manifest = _read_manifest(tar)
        if manifest["database"] != kind:
            raise RestoreRefused(
                f"the backup holds a {manifest['database']} database, but"
                f" FLOWSTEAD_DATABASE_URL is a {kind} one"
            )
        run_dir(data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(dir=run_dir(data_dir), prefix="restore-") as work:
            tar.extractall(work, filter="data")
            files = _restore_files(Path(work) / "files", data_dir)
            database = Path(work) / manifest["database_member"]
            if kind == "sqlite":
                target = sqlite_file(settings.database_url, data_dir)
                if not live:
                    for suffix in SQLITE_COMPANIONS:
                        target.with_name(target.name + suffix).unlink(missing_ok=True)
                restore_sqlite(database, target)
            else:
                import_surreal(settings.database_url, database)
    return Restored(database=kind, files=files, created_at=str(manifest.get("created_at")))


def _restore_files(source: Path, data_dir: Path) -> int:
    count = 0
    if not source.is_dir():
        return count
    for path in sorted(source.rglob("*")):
        target = data_dir / path.relative_to(source)
        if path.is_dir() and not path.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        shutil.copy2(path, partial, follow_symlinks=False)
        os.replace(partial, target)
        count += 1
    return count


# --- scheduled backups --------------------------------------------------------------------


def scheduled_backups(data_dir: Path) -> list[Path]:
    """Backups in `<data dir>/backups`, oldest first (their names sort by time)."""
    directory = backups_dir(data_dir)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.startswith(NAME_PREFIX) and p.is_file())


def prune(data_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; returns what was deleted."""
    doomed = scheduled_backups(data_dir)[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def next_due(data_dir: Path, interval: float, now: float) -> float:
    existing = scheduled_backups(data_dir)
    if not existing:
        return now
    return existing[-1].stat().st_mtime + interval

"""Consistent copies of the database while Flowstead runs, and putting them back.

- SQLite: the online backup API copies the database page by page under SQLite's own
  locking, so a snapshot taken while the api and worker write is consistent; restoring
  goes the same way into the live file, so connections that are open see the restored
  data instead of a file swapped under them.
- A SurrealDB server (`ws://`): the server's HTTP `/export` and `/import` of the
  namespace and database in the URL (SurrealQL text).

The embedded SurrealDB engines (`mem://`, `surrealkv://`) cannot be read from a second
process, so they have no online backup.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flowstead.store.factory import sqlite_path, surreal_target

BUSY_TIMEOUT_SECONDS = 30.0
PAGES_PER_STEP = 1024


class BackupUnsupported(Exception):
    """This kind of database has no online backup."""


def database_kind(database_url: str) -> str:
    scheme = database_url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("ws", "wss"):
        return "surrealdb"
    raise BackupUnsupported(
        f"{scheme}:// databases live inside one process and have no online backup;"
        " use sqlite:// or a SurrealDB server (ws://)"
    )


def sqlite_file(database_url: str, data_dir: Path) -> Path:
    return sqlite_path(database_url, data_dir)


def snapshot_sqlite(source: Path, destination: Path) -> None:
    """Copy the database at `source` to a new file, consistently, while others write."""
    with (
        closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)) as live,
        closing(sqlite3.connect(destination)) as copy,
    ):
        live.backup(copy, pages=PAGES_PER_STEP)


def restore_sqlite(snapshot: Path, destination: Path) -> None:
    """Make the database at `destination` (open or not, existing or not) the snapshot."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(snapshot)) as source,
        closing(sqlite3.connect(destination, timeout=BUSY_TIMEOUT_SECONDS)) as live,
    ):
        source.backup(live, pages=PAGES_PER_STEP)


def _http_endpoint(database_url: str) -> tuple[str, dict[str, str], tuple[str, str] | None]:
    target = surreal_target(database_url, Path("."))
    parts = urlsplit(target.url)
    scheme = "https" if parts.scheme == "wss" else "http"
    base = urlunsplit((scheme, parts.netloc, "", "", ""))
    headers = {"Surreal-NS": target.namespace, "Surreal-DB": target.database}
    auth = (
        (target.username, target.password)
        if target.username is not None and target.password is not None
        else None
    )
    return base, headers, auth


def export_surreal(database_url: str, destination: Path) -> None:
    """The server's export of the URL's namespace and database, into `destination`."""
    import httpx

    base, headers, auth = _http_endpoint(database_url)
    with (
        httpx.Client(base_url=base, headers=headers, auth=auth, timeout=300) as client,
        client.stream("GET", "/export", headers={"Accept": "application/octet-stream"}) as reply,
    ):
        reply.raise_for_status()
        with destination.open("wb") as out:
            for chunk in reply.iter_bytes():
                out.write(chunk)


def import_surreal(database_url: str, export: Path) -> None:
    """Load an export into the server's (empty) namespace and database."""
    import httpx

    base, headers, auth = _http_endpoint(database_url)
    with httpx.Client(base_url=base, headers=headers, auth=auth, timeout=300) as client:
        reply = client.post(
            "/import", content=export.read_bytes(), headers={"Accept": "application/json"}
        )
        reply.raise_for_status()

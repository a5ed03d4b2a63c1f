"""`open_store`: pick the adapter for a database URL and open it.

URLs:
- `sqlite:///data/flowstead.db` — a path with a directory part is absolute;
  `sqlite:///flowstead.db` (a bare file name) and `sqlite://sub/x.db` live in the data dir.
- `mem://` — SurrealDB's embedded in-memory engine (tests).
- `surrealkv://surreal` (in the data dir) or `surrealkv:///abs/path` — SurrealDB's embedded
  file engine. Only one process may open such a store; a lock file enforces it.
- `ws://user:pass@host:8000/namespace/database` (or `wss://`) — a SurrealDB server;
  namespace and database default to `flowstead`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from flowstead.store.protocol import Store
from flowstead.store.sqlite import SqliteStore

if TYPE_CHECKING:
    # Imported when used: the SurrealDB SDK (and aiohttp under it) costs about a second of
    # start-up that a SQLite instance should not pay.
    from flowstead.store.surreal import SurrealTarget

DEFAULT_NAMESPACE = "flowstead"
DEFAULT_DATABASE = "flowstead"


async def open_store(database_url: str, data_dir: Path) -> Store:
    """Open the store at `database_url`, applying pending migrations."""
    scheme = database_url.split("://", 1)[0].lower() if "://" in database_url else ""
    if scheme == "sqlite":
        return await SqliteStore.open(sqlite_path(database_url, data_dir), data_dir)
    if scheme in {"mem", "surrealkv", "ws", "wss"}:
        from flowstead.store.surreal import SurrealStore

        return await SurrealStore.open(surreal_target(database_url, data_dir), data_dir)
    raise ValueError(
        f"unsupported database URL {database_url!r}:"
        " expected sqlite://, mem://, surrealkv://, ws:// or wss://"
    )


def sqlite_path(database_url: str, data_dir: Path) -> Path:
    rest = database_url.split("://", 1)[1]
    if rest.startswith("/"):
        name = rest.lstrip("/")
        if not name:
            raise ValueError(f"no database file in {database_url!r}")
        return Path("/", name) if "/" in name else data_dir / name
    if not rest:
        raise ValueError(f"no database file in {database_url!r}")
    return data_dir / rest


def surreal_target(database_url: str, data_dir: Path) -> SurrealTarget:
    from flowstead.store.surreal import SurrealTarget

    scheme, rest = database_url.split("://", 1)
    scheme = scheme.lower()
    if scheme == "mem":
        return SurrealTarget(url="mem://")
    if scheme == "surrealkv":
        if not rest.strip("/"):
            raise ValueError(f"no directory in {database_url!r}")
        path = Path(rest) if rest.startswith("/") else data_dir / rest
        return SurrealTarget(url=f"surrealkv://{path.resolve()}", path=path.resolve())
    parts = urlsplit(database_url)
    if not parts.hostname:
        raise ValueError(f"no host in {database_url!r}")
    names = [unquote(p) for p in parts.path.split("/") if p]
    if len(names) > 2:
        raise ValueError(f"expected /namespace/database in {database_url!r}")
    names += [DEFAULT_NAMESPACE, DEFAULT_DATABASE][len(names) :]
    return SurrealTarget(
        url=f"{scheme}://{parts.netloc.rpartition('@')[2]}",
        namespace=names[0],
        database=names[1],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )

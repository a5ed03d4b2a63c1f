"""The machine a benchmark ran on, recorded beside its figures."""

from __future__ import annotations

import datetime
import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "surrealdb_sdk": metadata.version("surrealdb"),
        "flowstead": metadata.version("flowstead"),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        # The machine may be shared: a load above the core count slows every figure.
        "load_average_1_5_15_at_start": [round(v, 2) for v in os.getloadavg()],
    }

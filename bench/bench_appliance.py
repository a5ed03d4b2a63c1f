"""The appliance as the image runs it (supervisord + api + worker + web on SQLite):
cold start to `/ready`, idle memory of every process together, and stop time.

Targets: cold start ≤ 5 s; idle resident memory ≤ 250 MB. Resident memory is given two
ways: RSS summed over the processes (counts pages they share, such as the interpreter and
libraries, once per process) and PSS (each shared page split among its sharers), which is
what the processes together really take.

The image compiles Flowstead's modules to bytecode when it is built; so does this, first
(into `src/**/__pycache__`, checked against the sources' hashes). `--no-compile` removes that
bytecode and measures a source tree run with PYTHONDONTWRITEBYTECODE, where every start
compiles them.

    python bench/bench_appliance.py [--starts 3] [--settle 5] [--no-compile]

Writes bench/results/appliance.json with the machine it ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.e2e.appliance.harness import (  # noqa: E402
    Appliance,
    alive,
    descendants,
    program_env,
)

from machine import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "appliance.json"
MB = 1024 * 1024


def memory(pid: int) -> dict[str, int]:
    """RSS and PSS of one process in bytes (smaps_rollup; PSS is 0 where it is missing)."""
    found = {"rss": 0, "pss": 0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                found[key.lower()] = int(rest.split()[0]) * 1024
    except OSError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                found["rss"] = int(line.split()[1]) * 1024
    return found


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """CPU time (user + system) a process used; with `reaped`, also its exited children's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def name_of(pid: int) -> str:
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    words = [a.decode() for a in args if a]
    for word in ("api", "web", "worker", "backup"):
        if word in words:
            return word
    return "supervisord" if any("supervisord" in w for w in words) else " ".join(words)[:60]


def compile_sources() -> None:
    """Bytecode for every module under src/, as the image's build makes it (compileall);
    validated by the source's hash, so an edit made meanwhile is never run stale."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "--invalidation-mode",
            "checked-hash",
            str(ROOT / "src"),
        ],
        check=True,
    )


def remove_bytecode() -> None:
    for cache in (ROOT / "src").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def one_start(data_dir: Path, env: dict[str, str], settle: float) -> dict[str, Any]:
    load = os.getloadavg()[0]
    appliance = Appliance(data_dir, env)
    try:
        web = appliance.wait_ready()
        api = appliance.wait_ready(appliance.api_url)
        top = appliance.process.process.pid
        # Independent of how busy the machine is: divided by the cores, the least time a
        # start can take here.
        cpu = cpu_seconds(top, reaped=True) + sum(
            cpu_seconds(p) for p in descendants(top) if alive(p)
        )
        time.sleep(settle)  # idle: no requests but the readiness probes above
        processes = [top, *sorted(p for p in descendants(top) if alive(p))]
        per_process = []
        for pid in processes:
            used = memory(pid)
            per_process.append(
                {
                    "program": name_of(pid),
                    "rss_mb": round(used["rss"] / MB, 1),
                    "pss_mb": round(used["pss"] / MB, 1),
                }
            )
        stop_started = time.monotonic()
        tree, _status = appliance.terminate()
        while any(alive(p) for p in tree) and time.monotonic() - stop_started < 30:
            time.sleep(0.02)
        stopped = time.monotonic() - stop_started
    finally:
        appliance.stop()
    return {
        "load_1m_at_start": round(load, 2),
        "ready_web_seconds": round(web, 2),
        "ready_api_seconds": round(api, 2),
        "cpu_seconds_to_ready": round(cpu, 2),
        "rss_mb": round(sum(p["rss_mb"] for p in per_process), 1),
        "pss_mb": round(sum(p["pss_mb"] for p in per_process), 1),
        "processes": per_process,
        "stop_seconds_idle": round(stopped, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--settle", type=float, default=5.0, help="idle seconds before measuring")
    parser.add_argument(
        "--no-compile", action="store_true", help="no bytecode first: every start compiles"
    )
    args = parser.parse_args()
    if args.no_compile:
        remove_bytecode()
    else:
        compile_sources()
    info = machine()
    cold, warm = [], []
    for _ in range(args.starts):
        root = Path(tempfile.mkdtemp(prefix="fs-bench-"))
        try:
            data_dir = root / "data"
            env = program_env(data_dir, {"FLOWSTEAD_PASSWORD": "bench"})
            cold.append(one_start(data_dir, env, args.settle))  # empty data dir: migrations
            warm.append(one_start(data_dir, env, args.settle))  # a restart
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def median(values: Any) -> float:
        return round(statistics.median(values), 2)

    def summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "ready_seconds_median": median(s["ready_web_seconds"] for s in samples),
            "ready_seconds_max": max(s["ready_web_seconds"] for s in samples),
            "cpu_seconds_to_ready_median": median(s["cpu_seconds_to_ready"] for s in samples),
            "rss_mb_median": median(s["rss_mb"] for s in samples),
            "pss_mb_median": median(s["pss_mb"] for s in samples),
            "stop_seconds_idle_median": median(s["stop_seconds_idle"] for s in samples),
            "samples": samples,
        }

    results = {
        "machine": info,
        "what": "supervisord.conf as the image runs it, SQLite, no database server; "
        "ready = /ready answers 200 on the web port, timed from launching supervisord",
        "bytecode": "compiled first, as the image's build does"
        if not args.no_compile
        else "none: every start compiles Flowstead's modules",
        "targets": {"cold_start_seconds": 5.0, "idle_memory_mb": 250},
        "cold_start": summary(cold),
        "restart": summary(warm),
        "load_average_1_5_15_at_end": [round(v, 2) for v in os.getloadavg()],
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name in ("cold_start", "restart"):
        part = results[name]
        assert isinstance(part, dict)
        print(
            f"{name}: ready {part['ready_seconds_median']} s (max {part['ready_seconds_max']};"
            f" {part['cpu_seconds_to_ready_median']} CPU-s),"
            f" RSS {part['rss_mb_median']} MB, PSS {part['pss_mb_median']} MB,"
            f" stop {part['stop_seconds_idle_median']} s"
        )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

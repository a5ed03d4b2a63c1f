"""Engine-only throughput: runs per second of three workflows, in one process.

Run `/tmp/venv/bin/python bench/bench_engine.py`; it writes `bench/results/engine.json`
with the machine it ran on. Target: ≥ 2,000 runs/s for the 3-node workflow.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from flowstead.dsl.document import from_data
from flowstead.engine.collaborators import Collaborators
from flowstead.engine.engine import CompiledWorkflow
from flowstead.engine.events import RunFinished
from flowstead.engine.node import RunInfo
from machine import machine

RESULTS = Path(__file__).parent / "results" / "engine.json"


def three_nodes() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "start", "config": {"inputs": [{"name": "name"}]}},
            {"id": "greet", "type": "template", "config": {"template": "Hello {{ start.name }}!"}},
            {
                "id": "end",
                "type": "end",
                "config": {"outputs": [{"name": "text", "value": "greet.output"}]},
            },
        ],
        "edges": [{"from": "start", "to": "greet"}, {"from": "greet", "to": "end"}],
    }


def chain(length: int) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {"id": "start", "type": "start", "config": {"inputs": [{"name": "name"}]}}
    ]
    previous = "start"
    edges = []
    for i in range(length - 2):
        source = "{{ start.name }}" if previous == "start" else f"{{{{ {previous}.output }}}}"
        nodes.append({"id": f"t{i}", "type": "template", "config": {"template": source}})
        edges.append({"from": previous, "to": f"t{i}"})
        previous = f"t{i}"
    nodes.append(
        {
            "id": "end",
            "type": "end",
            "config": {"outputs": [{"name": "text", "value": f"{previous}.output"}]},
        }
    )
    edges.append({"from": previous, "to": "end"})
    return {"nodes": nodes, "edges": edges}


def fan_out(width: int) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {"id": "start", "type": "start", "config": {"inputs": [{"name": "name"}]}}
    ]
    edges = []
    for i in range(width):
        nodes.append(
            {
                "id": f"b{i}",
                "type": "template",
                "config": {"template": f"{i}: {{{{ start.name }}}}"},
            }
        )
        edges += [{"from": "start", "to": f"b{i}"}, {"from": f"b{i}", "to": "end"}]
    nodes.append(
        {
            "id": "end",
            "type": "end",
            "config": {
                "outputs": [{"name": f"o{i}", "value": f"b{i}.output"} for i in range(width)]
            },
        }
    )
    return {"nodes": nodes, "edges": edges}


async def throughput(document: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Runs per second of wall time, and per second of this process's CPU time (steadier
    on a shared machine)."""
    compiled = CompiledWorkflow.compile(from_data(document))
    collaborators = Collaborators()

    async def once(i: int) -> None:
        info = RunInfo(run_id=f"run-{i}", workflow_id="bench")
        async for event in compiled.run({"name": "bench"}, info, collaborators):
            if isinstance(event, RunFinished) and event.status != "succeeded":
                raise RuntimeError(f"run failed: {event.error}")

    for i in range(50):  # warm up
        await once(i)
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - started) < seconds:
        await once(count)
        count += 1
    cpu = time.process_time() - cpu
    return {
        "nodes": len(document["nodes"]),
        "runs": count,
        "runs_per_second": round(count / elapsed, 1),
        "runs_per_cpu_second": round(count / cpu, 1),
    }


async def main() -> None:
    workloads = {
        "three_nodes": three_nodes(),
        "chain_50": chain(50),
        "fan_out_20": fan_out(20),
    }
    load_before = os.getloadavg()[0]
    results: dict[str, Any] = {}
    for name, document in workloads.items():
        results[name] = result = await throughput(document, seconds=5.0)
        print(
            f"{name:12} {result['runs_per_second']:10.1f} runs/s "
            f"{result['runs_per_cpu_second']:10.1f} runs/CPU-s  ({result['nodes']} nodes)"
        )
    report = {
        "machine": {**machine(), "load_average": [load_before, os.getloadavg()[0]]},
        "target": {"three_nodes": 2000},
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())

"""The sandbox with real child processes: results, prints, every error and every limit."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from flowstead.engine.ports import CodeLimits, CodeResult
from flowstead.sandbox import ProcessCodeRunner

MB = 1024 * 1024
LIMITS = CodeLimits(cpu_seconds=1, wall_seconds=5, memory_bytes=128 * MB, max_output_bytes=64_000)
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not on PATH")


async def python(source: str, limits: CodeLimits = LIMITS, **inputs: Any) -> CodeResult:
    return await ProcessCodeRunner().run("python3", source, inputs, limits)


async def javascript(source: str, limits: CodeLimits = LIMITS, **inputs: Any) -> CodeResult:
    return await ProcessCodeRunner().run("javascript", source, inputs, limits)


async def test_python_main_gets_inputs_and_prints_do_not_corrupt_the_result() -> None:
    source = (
        "def main(name, n):\n"
        "    print('hello', name, end='')\n"
        "    return {'greeting': f'hi {name}', 'double': n * 2, 'items': [None, True]}\n"
    )
    result = await python(source, name="Ada", n=2.5)
    assert result == CodeResult(
        ok=True,
        value={"greeting": "hi Ada", "double": 5.0, "items": [None, True]},
        stdout="hello Ada",
    )


async def test_python_result_survives_a_closed_stdout_and_lingering_threads() -> None:
    source = (
        "import sys, threading, time\n"
        "def main():\n"
        "    threading.Thread(target=time.sleep, args=(30,)).start()\n"
        "    sys.stdout.close()\n"
        "    return {'ok': 1}\n"
    )
    result = await python(source)
    assert (result.ok, result.value) == (True, {"ok": 1})


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("def main(:\n    pass\n", "syntax error on line 1: invalid syntax"),
        (
            "def main():\n    x = 1\n    return 1 / 0\n",
            "ZeroDivisionError: division by zero (line 3)",
        ),
        ("raise ValueError('at import')\n", "ValueError: at import (line 1)"),
        ("def helper():\n    pass\n", "the code defines no `main` function"),
        ("main = 3\n", "the code defines no `main` function"),
        ("def main():\n    return [1]\n", "main must return a dict, not list"),
        (
            "def main():\n    return {'s': {1}}\n",
            "main returned a value that is not JSON: Object of type set is not JSON serializable",
        ),
        (
            "import sys\ndef main():\n    sys.exit(2)\n",
            "the code called exit(2) instead of returning from main",
        ),
        (
            "def main(a):\n    return {}\n",
            "TypeError: main() missing 1 required positional argument: 'a'",
        ),
    ],
)
async def test_python_errors_are_values(source: str, error: str) -> None:
    result = await python(source)
    assert (result.ok, result.error) == (False, error)


async def test_an_infinite_loop_hits_the_cpu_limit() -> None:
    result = await python("def main():\n    while True:\n        pass\n")
    assert (result.ok, result.error) == (False, "CPU time limit: exceeded 1 s")


async def test_sleeping_past_the_wall_limit_kills_the_process_group() -> None:
    source = (
        "import subprocess, time\n"
        "def main():\n"
        "    subprocess.Popen(['sleep', '30'])\n"
        "    time.sleep(30)\n"
    )
    limits = CodeLimits(cpu_seconds=1, wall_seconds=0.5, memory_bytes=128 * MB)
    result = await python(source, limits)
    assert (result.ok, result.error) == (False, "timed out: exceeded 0.5 s")


async def test_a_huge_allocation_hits_the_memory_limit() -> None:
    result = await python("def main():\n    block = bytearray(512 * 1024 * 1024)\n    return {}\n")
    assert (result.ok, result.error) == (False, "memory limit: exceeded 128 MB")


async def test_a_huge_print_hits_the_output_cap() -> None:
    result = await python("def main():\n    while True:\n        print('x' * 10000)\n")
    assert (result.ok, result.error) == (False, "output too large: more than 64000 bytes")


async def test_writing_a_huge_file_fails_in_the_code() -> None:
    source = (
        "def main():\n"
        "    with open('big', 'wb') as f:\n"
        "        f.write(b'x' * (65 * 1024 * 1024))\n"
        "    return {}\n"
    )
    result = await python(source, CodeLimits(memory_bytes=256 * MB))
    assert result.ok is False
    assert result.error is not None
    assert result.error.startswith("OSError: [Errno 27] File too large")


async def test_the_child_sees_no_secrets_and_works_in_a_fresh_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLOWSTEAD_PASSWORD", "hunter2")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    source = (
        "import os\n"
        "def main():\n"
        "    return {'env': dict(os.environ), 'cwd': os.getcwd(), 'files': os.listdir('.')}\n"
    )
    result = await python(source)
    assert result.ok, result.error
    env, cwd = result.value["env"], result.value["cwd"]
    assert set(env) == {"PATH", "LANG", "HOME", "TMPDIR"}
    assert "hunter2" not in str(env)
    assert "sk-secret" not in str(env)
    assert (env["HOME"], result.value["files"]) == (cwd, [])
    assert "flowstead-code-" in cwd


async def test_inputs_that_are_not_json_fail_before_starting() -> None:
    result = await python("def main(x):\n    return {}\n", x={1, 2})
    assert result.ok is False
    assert result.error == "the inputs are not JSON: Object of type set is not JSON serializable"


async def test_an_unknown_language_fails() -> None:
    result = await ProcessCodeRunner().run("ruby", "", {}, LIMITS)
    assert result.error == "unsupported language 'ruby': use python3 or javascript"


async def test_javascript_without_node_says_so() -> None:
    runner = ProcessCodeRunner(node="no-such-node-binary")
    result = await runner.run("javascript", "function main() { return {} }", {}, LIMITS)
    assert (result.ok, result.error) == (False, "JavaScript needs Node.js on PATH")


@needs_node
async def test_javascript_main_gets_one_object_of_inputs() -> None:
    source = (
        "function main({name, n}) {\n"
        "  console.log('hello', name);\n"
        "  return {greeting: `hi ${name}`, double: n * 2};\n"
        "}\n"
    )
    result = await javascript(source, name="Ada", n=2)
    assert result == CodeResult(
        ok=True, value={"greeting": "hi Ada", "double": 4}, stdout="hello Ada\n"
    )


@needs_node
async def test_javascript_async_main_and_lingering_timers() -> None:
    source = (
        "const main = async () => {\n  setInterval(() => {}, 1000);\n  return {ok: true};\n};\n"
    )
    result = await javascript(source)
    assert (result.ok, result.value) == (True, {"ok": True})


@needs_node
@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("function main() {\n  retur {\n}\n", "syntax error on line 2: Unexpected token '{'"),
        (
            "function main() {\n  return null.x;\n}\n",
            "TypeError: Cannot read properties of null (reading 'x') (line 2)",
        ),
        ("function main() { throw 'plain' }\n", 'uncaught "plain"'),
        ("const x = 1;\n", "the code defines no `main` function"),
        ("function main() { return [1] }\n", "main must return an object, not array"),
        ("function main() { return null }\n", "main must return an object, not null"),
        (
            "function main() { return {n: 1n} }\n",
            "main returned a value that is not JSON: Do not know how to serialize a BigInt",
        ),
    ],
)
async def test_javascript_errors_are_values(source: str, error: str) -> None:
    result = await javascript(source)
    assert (result.ok, result.error) == (False, error)


@needs_node
async def test_javascript_infinite_loop_hits_the_cpu_limit() -> None:
    result = await javascript("function main() { while (true) {} }\n")
    assert (result.ok, result.error) == (False, "CPU time limit: exceeded 1 s")


@needs_node
@pytest.mark.parametrize(
    "body",
    [
        "const a = []; while (true) a.push(Buffer.alloc(1e7, 1));",
        "const a = []; while (true) a.push('x'.repeat(1e6) + a.length);",
    ],
)
async def test_javascript_allocations_hit_the_memory_limit(body: str) -> None:
    limits = CodeLimits(cpu_seconds=5, wall_seconds=10, memory_bytes=64 * MB)
    result = await javascript(f"function main() {{ {body} }}\n", limits)
    assert (result.ok, result.error) == (False, "memory limit: exceeded 64 MB")


async def test_cancelling_a_run_kills_its_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    source = (
        "import os, time\n"
        "def main(path):\n"
        "    with open(path, 'w') as f:\n"
        "        f.write(str(os.getpid()))\n"
        "    time.sleep(30)\n"
    )
    task = asyncio.create_task(python(source, path=str(pid_file)))
    for _ in range(100):  # until the child is up, 5 s at most
        await asyncio.sleep(0.05)
        if pid_file.exists() and pid_file.read_text():
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)

"""`ProcessCodeRunner`: the engine's `CodeRunner` port over limited child processes.

Each run gets a fresh temporary working directory, a minimal environment (no secrets), its
own process group (killed when the run ends, however it ends), and limits on CPU time,
memory, wall time, output size and the size of files it writes. These limits keep a
runaway program from hurting the instance; they are not a wall against hostile code, which
runs as the same user and can read what that user can.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowstead.engine.ports import CodeLimits, CodeResult
from flowstead.sandbox import javascript

CHILD = str(Path(__file__).with_name("child.py"))
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
MAX_FILE_BYTES = 64 * 1024 * 1024
STDERR_TAIL_BYTES = 16 * 1024
MIB = 1024 * 1024
NODE_OVERHEAD_BYTES = 128 * MIB


class ProcessCodeRunner:
    """Runs `main` in Python 3 (this interpreter, isolated) or JavaScript (`node`)."""

    def __init__(self, *, python: str = sys.executable, node: str | None = "node") -> None:
        self._python = python
        self._node = node

    async def run(
        self, language: str, source: str, inputs: Mapping[str, Any], limits: CodeLimits
    ) -> CodeResult:
        command = self._command(language, limits)
        if isinstance(command, CodeResult):
            return command
        marker = f"<<flowstead-result-{secrets.token_hex(8)}>>"
        try:
            payload = json.dumps(
                {"source": source, "inputs": dict(inputs), "marker": marker}, allow_nan=False
            ).encode()
        except (TypeError, ValueError) as exc:
            return CodeResult(ok=False, error=f"the inputs are not JSON: {exc}")
        with tempfile.TemporaryDirectory(prefix="flowstead-code-") as workdir:
            env = {"PATH": SAFE_PATH, "LANG": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir}
            return await _execute(command, payload, marker, workdir, env, limits)

    def _command(self, language: str, limits: CodeLimits) -> list[str] | CodeResult:
        cpu = str(max(1, math.ceil(limits.cpu_seconds)))
        if language == "python3":
            return [self._python, "-I", CHILD, cpu, str(limits.memory_bytes), str(MAX_FILE_BYTES)]
        if language == "javascript":
            node = shutil.which(self._node) if self._node else None
            if node is None:
                return CodeResult(ok=False, error="JavaScript needs Node.js on PATH")
            # The limit applies to V8's heap; the process gets room for V8 itself on top,
            # without which V8 crashes at random instead of reporting a full heap.
            heap = f"--max-old-space-size={max(16, limits.memory_bytes // MIB)}"
            data = str(limits.memory_bytes + NODE_OVERHEAD_BYTES)
            launcher = [self._python, "-I", CHILD, cpu, data, str(MAX_FILE_BYTES)]
            return [*launcher, node, heap, "-e", javascript.SOURCE]
        return CodeResult(
            ok=False, error=f"unsupported language {language!r}: use python3 or javascript"
        )


async def _execute(
    command: list[str],
    payload: bytes,
    marker: str,
    workdir: str,
    env: dict[str, str],
    limits: CodeLimits,
) -> CodeResult:
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=workdir,
        env=env,
        start_new_session=True,
    )
    try:
        async with asyncio.timeout(limits.wall_seconds):
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(_feed(process, payload))
                stdout = tasks.create_task(_read_stdout(process, limits.max_output_bytes))
                stderr = tasks.create_task(_read_stderr(process))
            await process.wait()
    except TimeoutError:
        return CodeResult(ok=False, error=f"timed out: exceeded {limits.wall_seconds:g} s")
    finally:
        _kill_group(process)
        await process.wait()
    out = stdout.result()
    if out is None:
        return CodeResult(
            ok=False, error=f"output too large: more than {limits.max_output_bytes} bytes"
        )
    return _interpret(out, stderr.result(), process.returncode, marker, limits)


async def _feed(process: asyncio.subprocess.Process, payload: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(payload)
        await process.stdin.drain()
        process.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the child died before reading; how it ended says why


async def _read_stdout(process: asyncio.subprocess.Process, limit: int) -> bytes | None:
    """All of stdout, or None (and the process killed) once it passes `limit` bytes."""
    assert process.stdout is not None
    chunks: list[bytes] = []
    size = 0
    while chunk := await process.stdout.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            _kill_group(process)
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_stderr(process: asyncio.subprocess.Process) -> bytes:
    """The end of stderr (where tracebacks and fatal errors are), draining the rest."""
    assert process.stderr is not None
    tail = b""
    while chunk := await process.stderr.read(64 * 1024):
        tail = (tail + chunk)[-STDERR_TAIL_BYTES:]
    return tail


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)


def _interpret(
    stdout: bytes, stderr: bytes, returncode: int | None, marker: str, limits: CodeLimits
) -> CodeResult:
    text = stdout.decode("utf-8", "replace")
    printed, found, result_line = text.rpartition(marker)
    if not found:
        return CodeResult(ok=False, error=_why_it_died(returncode, stderr, limits), stdout=text)
    printed = printed.removesuffix("\n")
    try:
        result = json.loads(result_line.partition("\n")[0])
    except ValueError:
        error = "the result was garbled by output a thread of the code printed at the same time"
        return CodeResult(ok=False, error=error, stdout=text)
    if result["ok"]:
        return CodeResult(ok=True, value=result["value"], stdout=printed)
    error = _memory_error(limits) if result["kind"] == "memory" else result["error"]
    return CodeResult(ok=False, error=error, stdout=printed)


def _why_it_died(returncode: int | None, stderr: bytes, limits: CodeLimits) -> str:
    # SIGKILL comes from the hard CPU limit, for code that ignored SIGXCPU.
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"CPU time limit: exceeded {limits.cpu_seconds:g} s"
    errors = stderr.decode("utf-8", "replace")
    if "MemoryError" in errors or "heap out of memory" in errors:
        return _memory_error(limits)
    last = next((line for line in reversed(errors.splitlines()) if line.strip()), "")
    detail = f": {last.strip()}" if last else ""
    return f"the process ended (exit code {returncode}) without a result{detail}"


def _memory_error(limits: CodeLimits) -> str:
    return f"memory limit: exceeded {limits.memory_bytes // MIB} MB"

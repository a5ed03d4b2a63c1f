"""The sandbox's child process: limits itself, then runs `main(**inputs)` or execs `node`.

Started as `python -I child.py CPU MEMORY FILE_BYTES [NODE ARGS...]`. Stdlib only, never
imports Flowstead. Stdin holds `{"source", "inputs", "marker"}` as JSON; the result is written
to stdout after the marker as one JSON line, `{"ok": true, "value": {...}}` or
`{"ok": false, "error": "...", "kind": "error" | "memory"}`, so user prints cannot corrupt it.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import traceback
from typing import Any

CODE_FILENAME = "<code>"


def limit(cpu_seconds: int, memory_bytes: int, file_bytes: int, *, address_space: bool) -> None:
    """CPU time (SIGXCPU past it), memory, size of files written, and no core dumps.

    V8 reserves more address space than any sensible limit at start, so under Node the
    memory limit applies to the data segment instead (and to V8's heap through its flag)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    memory = resource.RLIMIT_AS if address_space else resource.RLIMIT_DATA
    resource.setrlimit(memory, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def failure(error: str, kind: str = "error") -> dict[str, Any]:
    return {"ok": False, "error": error, "kind": kind}


def describe(exc: BaseException) -> str:
    """The last traceback line, and the line of the user's code it came from."""
    message = traceback.format_exception_only(type(exc), exc)[-1].strip()
    lines = [
        f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == CODE_FILENAME
    ]
    return f"{message} (line {lines[-1]})" if lines else message


def run(source: str, inputs: dict[str, Any]) -> dict[str, Any]:
    try:
        code = compile(source, CODE_FILENAME, "exec")
    except SyntaxError as exc:
        return failure(f"syntax error on line {exc.lineno}: {exc.msg}")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    try:
        exec(code, namespace)
        main = namespace.get("main")
        if not callable(main):
            return failure("the code defines no `main` function")
        value = main(**inputs)
    except MemoryError:
        return failure("", "memory")
    except SystemExit as exc:
        return failure(f"the code called exit({exc.code!r}) instead of returning from main")
    except BaseException as exc:  # the user's code may raise anything; report it
        return failure(describe(exc))
    if not isinstance(value, dict):
        return failure(f"main must return a dict, not {type(value).__name__}")
    return {"ok": True, "value": value}


def encode(result: dict[str, Any]) -> str:
    try:
        return json.dumps(result, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return json.dumps(failure(f"main returned a value that is not JSON: {exc}"))


def main() -> None:
    cpu, memory, file_bytes = (int(arg) for arg in sys.argv[1:4])
    command = sys.argv[4:]
    limit(cpu, memory, file_bytes, address_space=not command)
    if command:
        os.execv(command[0], command)
    result_fd = os.dup(1)  # kept aside: the user's code may close or replace stdout
    payload = json.loads(sys.stdin.buffer.read())
    result = encode(run(payload["source"], payload["inputs"]))
    with contextlib.suppress(OSError, ValueError):  # the code may have closed stdout
        sys.stdout.flush()
    with os.fdopen(result_fd, "w", encoding="utf-8") as out:
        out.write(f"\n{payload['marker']}{result}\n")
    # Not sys.exit: threads the code started must not outlive (or print after) the result.
    os._exit(0)


if __name__ == "__main__":
    main()

"""Reading a child's output, for the cases real processes produce only by chance."""

from __future__ import annotations

import signal

from flowstead.engine.ports import CodeLimits, CodeResult
from flowstead.sandbox.runner import _interpret

MARKER = "<<m>>"


def test_a_result_after_prints() -> None:
    out = b'hi\n\n<<m>>{"ok": true, "value": {"a": 1}}\n'
    assert _interpret(out, b"", 0, MARKER, CodeLimits()) == CodeResult(
        ok=True, value={"a": 1}, stdout="hi\n"
    )


def test_a_result_garbled_by_a_printing_thread() -> None:
    out = b'\n<<m>>{"ok": tr<thread output>ue}\n'
    result = _interpret(out, b"", 0, MARKER, CodeLimits())
    assert result.error == (
        "the result was garbled by output a thread of the code printed at the same time"
    )


def test_no_result_says_how_the_process_ended() -> None:
    stderr = b"Traceback (most recent call last):\n  ...\nOSError: boom\n"
    result = _interpret(b"partial", stderr, 1, MARKER, CodeLimits())
    assert result == CodeResult(
        ok=False,
        error="the process ended (exit code 1) without a result: OSError: boom",
        stdout="partial",
    )


def test_killed_by_the_hard_cpu_limit() -> None:
    result = _interpret(b"", b"", -signal.SIGKILL, MARKER, CodeLimits(cpu_seconds=2))
    assert result.error == "CPU time limit: exceeded 2 s"

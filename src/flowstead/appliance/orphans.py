"""Server worker processes that die with their parent.

`flowstead api` and `flowstead web` serve from their own process, so this concerns only
granian's worker processes (`--workers N`, or granian's own command running `app_factory`).
They serve on a socket shared with granian's main process. If the main process is killed
outright (kill -9, the OOM killer), supervisord starts a new one, and an orphaned worker
would go on answering on the same port with stale state (granian's workers even finish
open streams on SIGTERM, which for a run's events can be many minutes). On Linux the
kernel kills the worker when its parent dies; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def exit_with_parent() -> None:
    """Have this process terminated when its parent process dies."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return  # not permitted here: nothing worse than before
    if os.getppid() != parent:  # the parent died before the call took effect
        os.kill(os.getpid(), signal.SIGKILL)

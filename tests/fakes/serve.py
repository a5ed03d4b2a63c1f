"""Run one fake model server as its own process, until SIGINT or SIGTERM.

    python -m tests.fakes.serve --kind openai --port 8081 --latency 0.2 --rate 50

Prints `listening on <url>` once ready (with `--port 0`, read the port from it). With no
script, every chat request gets the default echo reply, streamed in several chunks.
"""

from __future__ import annotations

import argparse
import signal
import threading

from tests.fakes.models import KINDS, FakeModelServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.serve", description=__doc__)
    parser.add_argument("--kind", choices=KINDS, default="openai")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to first byte")
    parser.add_argument("--rate", type=float, default=None, help="stream frames per second")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server = FakeModelServer(
        args.kind, host=args.host, port=args.port, latency=args.latency, rate=args.rate
    )
    with server.start(poll_interval=0.5):
        print(f"listening on {server.url}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()

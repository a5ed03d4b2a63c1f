"""The `flowstead` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from contextlib import aclosing
from pathlib import Path

from flowstead import __version__
from flowstead.settings import Settings, SettingsError


def _validate(args: argparse.Namespace) -> int:
    from flowstead.dsl.document import DocumentError, parse
    from flowstead.engine.validation import validate

    status = 0
    for path in args.files:
        try:
            issues = validate(parse(Path(path).read_bytes()))
        except (OSError, DocumentError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 1
            continue
        for issue in issues:
            where = f" [{issue.node_id}]" if issue.node_id else ""
            print(f"{path}:{where} {issue.severity}: {issue.message} ({issue.code})")
        if any(i.severity == "error" for i in issues):
            status = 1
        elif not issues:
            print(f"{path}: ok")
    return status


def _schema(_args: argparse.Namespace) -> int:
    from flowstead.engine.schema import workflow_schema

    print(json.dumps(workflow_schema(), indent=2, ensure_ascii=False))
    return 0


def _settings(_args: argparse.Namespace) -> int:
    for name, value in Settings.from_env().describe().items():
        print(f"{name}={value}")
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from flowstead.store import open_store

    settings = Settings.from_env()

    async def migrate() -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await open_store(settings.database_url, settings.data_dir)
        await store.close()

    asyncio.run(migrate())
    print(f"migrations applied to {settings.database_url}")
    return 0


def _parse_inputs(pairs: Sequence[str]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"flowstead run: --input takes name=value, got {pair!r}")
        inputs[name] = value
    return inputs


def _run(args: argparse.Namespace) -> int:
    from flowstead.dsl.document import Document, DocumentError, parse
    from flowstead.engine.engine import WorkflowInvalid
    from flowstead.engine.events import NodeFinished, RunFinished, TextChunk
    from flowstead.services.local_run import run_document

    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def run(document: Document) -> int:
        streamed = False
        events = run_document(document, _parse_inputs(args.input), settings, query=args.query)
        async with aclosing(events):
            async for event in events:
                if isinstance(event, TextChunk):
                    print(event.text, end="", flush=True)
                    streamed = True
                elif isinstance(event, NodeFinished) and event.error:
                    print(f"\n[{event.node_id}] {event.status}: {event.error}", file=sys.stderr)
                elif isinstance(event, RunFinished):
                    if streamed:
                        print()
                    print(
                        json.dumps(
                            {
                                "status": event.status,
                                "outputs": event.outputs,
                                "error": event.error,
                            },
                            ensure_ascii=False,
                            indent=2,
                        )
                    )
                    return 0 if event.status in ("succeeded", "partial_succeeded") else 1
        return 1

    try:
        return asyncio.run(run(parse(Path(args.file).read_bytes())))
    except (OSError, DocumentError) as exc:
        print(f"flowstead run: {exc}", file=sys.stderr)
    except WorkflowInvalid as exc:
        for issue in exc.issues:
            where = f"[{issue.node_id}] " if issue.node_id else ""
            print(f"flowstead run: {where}{issue.message}", file=sys.stderr)
    return 1


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="run a workflow file here, streaming its output")
    run.add_argument("file")
    run.add_argument("--input", "-i", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("--query", default="", help="sys.query (chat-mode workflows)")
    run.set_defaults(handler=_run)


# --- worker (runs as a service) ---------------------------------------------------------


def _worker(args: argparse.Namespace) -> int:
    from flowstead.appliance.startup import prepare_or_exit
    from flowstead.worker.main import main

    settings = Settings.from_env()
    prepare_or_exit(settings)
    return main(settings, grace_seconds=args.grace_seconds)


def _add_worker(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser("worker", help="execute queued runs until SIGTERM")
    worker.add_argument(
        "--grace-seconds",
        type=float,
        default=10.0,
        help="on SIGTERM, how long running runs may take before they are handed back",
    )
    worker.set_defaults(handler=_worker)


# --- api (the HTTP API server) -----------------------------------------------------------


def _api(args: argparse.Namespace) -> int:
    from flowstead.api.serve import main

    # The app's lifespan waits for the database, migrates and sees to the password.
    return main(Settings.from_env(), workers=args.workers)


def _add_api(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    api = commands.add_parser("api", help="serve the HTTP API (granian) on FLOWSTEAD_API_PORT")
    api.add_argument(
        "--workers",
        type=int,
        default=1,
        help="granian worker processes (1: served from this process)",
    )
    api.set_defaults(handler=_api)


# --- web (the canvas, which also serves the API) -----------------------------------------


def _web(args: argparse.Namespace) -> int:
    from flowstead.web.serve import main

    # The app's lifespan waits for the database, migrates and sees to the password.
    return main(Settings.from_env(), workers=args.workers)


def _add_web(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = commands.add_parser(
        "web", help="serve the canvas and the API (granian) on FLOWSTEAD_WEB_PORT"
    )
    web.add_argument(
        "--workers",
        type=int,
        default=1,
        help="granian worker processes (1: served from this process)",
    )
    web.set_defaults(handler=_web)


# --- the appliance (supervisord, the database server, backups) ---------------------------


def _up(_args: argparse.Namespace) -> int:
    from flowstead.appliance.up import up

    return up(Settings.from_env())


def _db(_args: argparse.Namespace) -> int:
    from flowstead.appliance.db import main

    return main(Settings.from_env())


def _backup(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.schedule:
        import signal
        import threading

        from flowstead import logs
        from flowstead.appliance.schedule import run_schedule

        logs.configure(settings.log_level)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        return run_schedule(settings, stop)
    from flowstead.appliance.backup import create_backup
    from flowstead.store.backup import BackupUnsupported

    try:
        path = create_backup(settings, Path(args.output) if args.output else None)
    except BackupUnsupported as exc:
        print(f"flowstead backup: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from flowstead.appliance.backup import RestoreRefused, restore_backup
    from flowstead.store.backup import BackupUnsupported

    try:
        restored = restore_backup(Settings.from_env(), Path(args.file), force=args.force)
    except (RestoreRefused, BackupUnsupported, OSError) as exc:
        print(f"flowstead restore: {exc}", file=sys.stderr)
        return 1
    print(
        f"restored the {restored.database} database and {restored.files} files"
        f" from the backup of {restored.created_at}"
    )
    return 0


def _add_appliance(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser(
        "up", help="run everything (api, worker, web) under supervisord on this machine"
    ).set_defaults(handler=_up)
    commands.add_parser(
        "db", help="run the SurrealDB server for a ws:// FLOWSTEAD_DATABASE_URL (the image's db)"
    ).set_defaults(handler=_db)
    backup = commands.add_parser(
        "backup", help="write one archive of the data dir (database, uploads, keys), live"
    )
    backup.add_argument("--output", "-o", help="the archive (default: <data dir>/backups/…)")
    backup.add_argument(
        "--schedule",
        action="store_true",
        help="back up every FLOWSTEAD_BACKUP_INTERVAL_HOURS until stopped",
    )
    backup.set_defaults(handler=_backup)
    restore = commands.add_parser("restore", help="put a backup back into the data dir")
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="restore even into a running instance's data"
    )
    restore.set_defaults(handler=_restore)


def _days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days") from None
    if days <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 days")
    return days


def _prune(args: argparse.Namespace) -> int:
    from flowstead.services.retention import delete_old_runs
    from flowstead.store import open_store

    settings = Settings.from_env()

    async def prune() -> int:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        async with await open_store(settings.database_url, settings.data_dir) as store:
            return await delete_old_runs(store, args.older_than)

    removed = asyncio.run(prune())
    print(
        f"deleted {removed} run{'' if removed == 1 else 's'} that finished more than"
        f" {args.older_than:g} days ago, with their events, node executions and jobs"
    )
    return 0


def _add_prune(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    prune = commands.add_parser(
        "prune", help="delete finished runs older than some days (chat messages stay)"
    )
    prune.add_argument(
        "--older-than", type=_days, required=True, metavar="DAYS", help="days since it finished"
    )
    prune.set_defaults(handler=_prune)


# ------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="flowstead", description=__doc__)
    root.add_argument("--version", action="version", version=f"flowstead {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check workflow documents for issues")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(handler=_validate)
    commands.add_parser("schema", help="print the workflow JSON Schema").set_defaults(
        handler=_schema
    )
    commands.add_parser("settings", help="print the effective settings").set_defaults(
        handler=_settings
    )
    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=_migrate)
    _add_run(commands)
    _add_prune(commands)
    _add_worker(commands)
    _add_api(commands)
    _add_web(commands)
    _add_appliance(commands)
    return root


def _without_httpx_cli() -> None:
    """httpx imports its command-line client whenever click, rich and pygments are installed
    (Litestar installs them): about 5 MB and 0.1 s of CPU in every program that talks to a
    model. Flowstead never runs that client; marked absent, `httpx.main` is the stub httpx
    has for installs without its `cli` extra, and the rest of httpx is unchanged."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    _without_httpx_cli()
    args = parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SettingsError as exc:
        print(f"flowstead: {exc}", file=sys.stderr)
        return 2

"""`flowstead backup --schedule`, supervisord's `backup` program: one backup every
FLOWSTEAD_BACKUP_INTERVAL_HOURS into `<data dir>/backups`, keeping the newest
FLOWSTEAD_BACKUP_KEEP. With the interval 0 (the default) it exits at once, having loaded
nothing of the store: it runs at every start.
"""

from __future__ import annotations

import logging
import threading
import time

from flowstead.settings import Settings

log = logging.getLogger("flowstead.backup")

# supervisord counts an exit before `startsecs` (1 s) as a failed start.
OFF_EXIT_AFTER_SECONDS = 1.5


def run_schedule(settings: Settings, stop: threading.Event) -> int:
    """Back up every FLOWSTEAD_BACKUP_INTERVAL_HOURS until `stop` is set."""
    if settings.backup_interval_hours <= 0:
        log.info("scheduled backups are off (FLOWSTEAD_BACKUP_INTERVAL_HOURS=0)")
        stop.wait(OFF_EXIT_AFTER_SECONDS)
        return 0
    from flowstead.appliance.backup import create_backup, next_due, prune

    interval = settings.backup_interval_hours * 3600
    data_dir = settings.data_dir.resolve()
    log.info(
        "scheduled backups on",
        extra={"interval_hours": settings.backup_interval_hours, "keep": settings.backup_keep},
    )
    while not stop.is_set():
        if stop.wait(max(0.0, next_due(data_dir, interval, time.time()) - time.time())):
            break
        try:
            path = create_backup(settings)
        except Exception:
            log.exception("scheduled backup failed; trying again later")
            stop.wait(min(interval, 600.0))
            continue
        removed = prune(data_dir, settings.backup_keep)
        log.info(
            "backup written",
            extra={"file": str(path), "bytes": path.stat().st_size, "pruned": len(removed)},
        )
    return 0

"""New records, made once for both adapters: a time-ordered id, the creation time and the
defaults filled in. An adapter stores what these return and hands the same value back."""

from __future__ import annotations

import time
from typing import Any

from flowstead.store.ids import new_id
from flowstead.store.records import Workflow


def workflow(
    *,
    name: str,
    document: dict[str, Any],
    description: str,
    mode: str,
    trigger: dict[str, Any] | None,
) -> Workflow:
    now = time.time()
    return Workflow(
        id=new_id(),
        name=name,
        description=description,
        document=document,
        mode=mode,
        trigger=trigger,
        created_at=now,
        updated_at=now,
    )

from __future__ import annotations

import time
import uuid

from flowstead.store.ids import new_id


def test_ids_are_version_7_uuids_in_the_usual_text_form() -> None:
    value = uuid.UUID(new_id())
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert str(value) == str(value).lower()
    assert len(str(value)) == 36


def test_ids_start_with_the_time_so_later_ids_sort_after_earlier_ones() -> None:
    before = time.time_ns() // 1_000_000
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    after = time.time_ns() // 1_000_000
    assert first < second
    assert before <= uuid.UUID(first).int >> 80 <= after


def test_ids_are_unique() -> None:
    ids = {new_id() for _ in range(10_000)}
    assert len(ids) == 10_000

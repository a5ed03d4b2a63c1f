from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from flowstead import logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    logs.configure("DEBUG", out)
    yield out
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_flowstead", False):
            root.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    found = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in found if line["logger"] != "asyncio"]


def test_a_line_is_one_json_object_with_the_standard_keys(stream: io.StringIO) -> None:
    logging.getLogger("flowstead.test").info("hello %s", "there")
    (line,) = lines(stream)
    assert line["message"] == "hello there"
    assert line["level"] == "INFO"
    assert line["logger"] == "flowstead.test"
    assert str(line["time"]).endswith("+00:00")


def test_bound_ids_and_extra_fields_become_keys(stream: io.StringIO) -> None:
    with logs.bind(request_id="req-1"), logs.bind(run_id="run-1"):
        logging.getLogger("x").info("workflow created", extra={"workflow_id": "w1"})
    logging.getLogger("x").info("after")
    first, after = lines(stream)
    assert first["request_id"] == "req-1"
    assert first["run_id"] == "run-1"
    assert first["workflow_id"] == "w1"
    assert "request_id" not in after


async def test_tasks_inherit_the_bound_ids(stream: io.StringIO) -> None:
    async def child() -> None:
        logging.getLogger("x").info("in a task")

    with logs.bind(request_id="req-2"):
        await asyncio.create_task(child())
    assert lines(stream)[0]["request_id"] == "req-2"


def test_exceptions_are_one_field(stream: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("x").exception("failed")
    (line,) = lines(stream)
    assert "ValueError: boom" in str(line["exception"])


def test_configure_twice_keeps_one_handler(stream: io.StringIO) -> None:
    logs.configure("INFO", stream)
    logging.getLogger("x").info("once")
    assert len(lines(stream)) == 1


def test_unknown_context_key_is_refused() -> None:
    with pytest.raises(TypeError), logs.bind(user="u"):
        pass

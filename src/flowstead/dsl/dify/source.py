"""Reading a Dify DSL file: size, YAML, kind, version and app mode, checked before mapping."""

from __future__ import annotations

import re
from typing import Any

import yaml

from flowstead.dsl.dify.model import DifyImportError
from flowstead.dsl.document import Mode

MAX_BYTES = 10 * 1024 * 1024
NEWEST_MINOR = 6  # DSL 0.6.x is the newest format this importer knows
MODES: dict[str, Mode] = {"workflow": "workflow", "advanced-chat": "chat"}
# libyaml's safe loader when it is installed: Dify exports reach a few hundred kilobytes.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


def load(text: str | bytes) -> dict[str, Any]:
    """The parsed DSL file, or `DifyImportError` saying why it cannot be imported."""
    check_size(len(text) if isinstance(text, bytes) else len(text.encode("utf-8")))
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise DifyImportError(f"not valid YAML: {exc}", "invalid_yaml") from exc
    if not isinstance(data, dict):
        raise DifyImportError("not a Dify DSL file: expected a mapping with `app` and `workflow`")
    kind = data.get("kind")
    if kind is not None and kind != "app":
        raise DifyImportError(
            f"the file's kind is {kind!r}; only Dify apps (`kind: app`) can be imported",
            "unsupported_kind",
        )
    check_version(data.get("version", "0.1.0"))
    app = data.get("app")
    if not isinstance(app, dict):
        raise DifyImportError("not a Dify app: the `app` section is missing")
    mode = app.get("mode")
    if mode not in MODES:
        raise DifyImportError(
            f"the app mode {mode!r} is not a workflow; only Dify workflow "
            "and chatflow (advanced-chat) apps can be imported",
            "unsupported_mode",
        )
    workflow = data.get("workflow")
    if not isinstance(workflow, dict) or not isinstance(workflow.get("graph"), dict):
        raise DifyImportError("the file has no workflow graph (`workflow.graph`)")
    return data


def check_size(size: int) -> None:
    """Refuse a file of `size` bytes over the limit, before anything reads it."""
    if size > MAX_BYTES:
        raise DifyImportError(
            f"the file is {size / 1024 / 1024:.1f} MB; Dify DSL files "
            f"over {MAX_BYTES // 1024 // 1024} MB are not imported",
            "file_too_large",
        )


def minor_version(data: dict[str, Any]) -> int:
    """The minor number of a loaded file's DSL version (0.3.1 → 3)."""
    match = _VERSION.match(str(data.get("version", "0.1.0")).strip())
    return int(match.group(2)) if match else 0


def check_version(version: Any) -> None:
    """Accept DSL versions 0.1.0 to 0.6.x; name the version when it is newer or unreadable."""
    match = _VERSION.match(str(version).strip())
    if match is None:
        raise DifyImportError(f"unreadable DSL version {version!r}", "unsupported_version")
    major, minor = int(match.group(1)), int(match.group(2))
    if major > 0 or minor > NEWEST_MINOR:
        raise DifyImportError(
            f"DSL version {version} is newer than this importer knows "
            f"(0.1.0 to 0.{NEWEST_MINOR}.x); export it from Dify in an "
            "older format or update Flowstead",
            "unsupported_version",
        )

"""What the page handlers receive by name, beside the API's `store`, `runs`, `router`."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from flowstead.settings import Settings
from flowstead.web.drafts import DraftEditor
from flowstead.web.logview import RingBuffer

DraftsDep: TypeAlias = NamedDependency[SkipValidation[DraftEditor]]
SettingsDep: TypeAlias = NamedDependency[SkipValidation[Settings]]
LogBufferDep: TypeAlias = NamedDependency[SkipValidation[RingBuffer]]


def dependencies(settings: Settings, drafts: DraftEditor, buffer: RingBuffer) -> dict[str, Provide]:
    return {
        "drafts": Provide(lambda: drafts, sync_to_thread=False),
        "settings": Provide(lambda: settings, sync_to_thread=False),
        "log_buffer": Provide(lambda: buffer, sync_to_thread=False),
    }

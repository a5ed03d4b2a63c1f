"""What the `/v1` run handlers receive: the caller's app key, the store and the run service
as one dependency. Litestar resolves several dependencies of a handler in a task group of
their own, a cost paid on every request of the busiest routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from flowstead.services.runs import RunService
from flowstead.store.protocol import Store
from flowstead.store.records import ApiKey


@dataclass(frozen=True, slots=True)
class AppCall:
    key: ApiKey
    store: Store
    runs: RunService


def provide_app_call(request: ASGIConnection[Any, Any, Any, Any], state: State) -> AppCall:
    """The key `require_app_key` accepted, with the app's store and run service."""
    return AppCall(key=request.scope["auth"], store=state.store, runs=state.runs)


AppCallDep: TypeAlias = NamedDependency[SkipValidation[AppCall]]
APP_CALL = {"call": Provide(provide_app_call, sync_to_thread=False)}

"""What handlers receive by name: the store, the run service, the provider router."""

from __future__ import annotations

from typing import TypeAlias

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from flowstead.providers.router import ProviderRouter
from flowstead.services.runs import RunService
from flowstead.store.protocol import Store
from flowstead.store.records import ApiKey

# Nothing to validate in a service object (and a Protocol cannot be isinstance-checked).
StoreDep: TypeAlias = NamedDependency[SkipValidation[Store]]
RunsDep: TypeAlias = NamedDependency[SkipValidation[RunService]]
RouterDep: TypeAlias = NamedDependency[SkipValidation[ProviderRouter]]
# Set by the `/v1` guard after it verified the key.
AppKeyDep: TypeAlias = NamedDependency[SkipValidation[ApiKey]]


def _store(state: State) -> Store:
    store: Store = state.store
    return store


def _runs(state: State) -> RunService:
    runs: RunService = state.runs
    return runs


def _router(state: State) -> ProviderRouter:
    router: ProviderRouter = state.router
    return router


DEPENDENCIES = {
    "store": Provide(_store, sync_to_thread=False),
    "runs": Provide(_runs, sync_to_thread=False),
    "router": Provide(_router, sync_to_thread=False),
}

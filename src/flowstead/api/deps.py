"""What handlers receive by name: the store, the app key, the services."""

from __future__ import annotations

from typing import TypeAlias

from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import SkipValidation

from flowstead.store.protocol import Store

# Protocols cannot be isinstance-checked, and there is nothing to validate in a service.
StoreDep: TypeAlias = NamedDependency[SkipValidation[Store]]


def provide_store(state: State) -> Store:
    store: Store = state.store
    return store

"""Everything Flowstead persists, behind one `Store` port with two adapters.

Open one with `await open_store(database_url, data_dir)`; see `factory` for the URLs.
"""

from __future__ import annotations

from flowstead.store.errors import Conflict, NotFound, StoreError
from flowstead.store.factory import open_store
from flowstead.store.protocol import Store

__all__ = ["Conflict", "NotFound", "Store", "StoreError", "open_store"]

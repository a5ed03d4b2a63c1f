"""Nearest chunks for SQLite: numpy brute force over per-knowledge-base matrices.

Each process caches a knowledge base's embeddings as one normalised float32 matrix per
dimension count, and reloads it when the knowledge base's `index_version` (bumped by every
chunk write, in any process) no longer matches. 100,000 chunks of 64 dimensions are 25 MB
and one matrix-vector product: about a millisecond.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from flowstead.store.sqlite.database import Database

if TYPE_CHECKING:
    # numpy itself is imported where vectors are searched: every process opens the store,
    # few ever search by vector, and numpy is about 15 MB and 0.2 s of each one's start.
    import numpy as np
    import numpy.typing as npt

    Seqs: TypeAlias = npt.NDArray[np.int64]
    Matrix: TypeAlias = npt.NDArray[np.float32]


@dataclass(frozen=True)
class _Vectors:
    """One knowledge base's embeddings at one version: dimensions → (row seqs, unit rows)."""

    version: int
    by_dims: dict[int, tuple[Seqs, Matrix]]


class VectorIndex:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[str, _Vectors] = {}

    async def nearest(
        self,
        kb_ids: Sequence[str],
        embedding: Sequence[float],
        limit: int,
        allowed: Collection[int] | None = None,
    ) -> builtins.list[tuple[int, float]]:
        """(chunk seq, cosine similarity) of the `limit` nearest chunks, best first;
        only rows in `allowed` when it is given."""
        import numpy as np

        query = np.asarray(embedding, dtype=np.float32)
        norm = float(np.linalg.norm(query))
        if not kb_ids or norm == 0.0 or limit <= 0:
            return []
        parts = []
        for kb_id in await self._fresh(kb_ids):
            part = self._cache[kb_id].by_dims.get(query.shape[0])
            if part is not None:
                parts.append(part)
        if not parts:
            return []
        allowed_seqs = None if allowed is None else np.fromiter(allowed, dtype=np.int64)
        return await asyncio.to_thread(_top, parts, query / norm, limit, allowed_seqs)

    async def _fresh(self, kb_ids: Sequence[str]) -> builtins.list[str]:
        """Bring the cached vectors of these knowledge bases up to date; the ids that exist."""
        marks = ", ".join("?" * len(kb_ids))
        rows = await self._db.fetch_all(
            f"SELECT id, index_version FROM knowledge_bases WHERE id IN ({marks})", list(kb_ids)
        )
        versions = {row[0]: row[1] for row in rows}
        for kb_id in kb_ids:
            cached = self._cache.get(kb_id)
            if kb_id not in versions:
                self._cache.pop(kb_id, None)
            elif cached is None or cached.version != versions[kb_id]:
                # The version is read before the rows: a write in between only makes the
                # next search load again, never keeps stale rows under a new version.
                self._cache[kb_id] = await self._load(kb_id, versions[kb_id])
        return list(versions)

    async def _load(self, kb_id: str, version: int) -> _Vectors:
        rows = await self._db.fetch_all(
            "SELECT seq, embedding FROM chunks WHERE kb_id = ? AND embedding IS NOT NULL",
            (kb_id,),
        )
        groups: dict[int, tuple[list[int], list[bytes]]] = {}
        for seq, blob in rows:
            seqs, blobs = groups.setdefault(len(blob) // 4, ([], []))
            seqs.append(seq)
            blobs.append(blob)
        return _Vectors(version, {dims: _matrix(dims, *group) for dims, group in groups.items()})


def _matrix(dims: int, seqs: list[int], blobs: list[bytes]) -> tuple[Seqs, Matrix]:
    import numpy as np

    matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dims)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(seqs, dtype=np.int64), (matrix / norms).astype(np.float32)


def _top(
    parts: list[tuple[Seqs, Matrix]], query: Matrix, limit: int, allowed: Seqs | None
) -> list[tuple[int, float]]:
    import numpy as np

    seqs = np.concatenate([seqs for seqs, _ in parts])
    scores = np.concatenate([matrix @ query for _, matrix in parts])
    if allowed is not None:
        keep = np.isin(seqs, allowed)
        seqs, scores = seqs[keep], scores[keep]
    if len(scores) > limit:
        best = np.argpartition(-scores, limit - 1)[:limit]
        seqs, scores = seqs[best], scores[best]
    order = np.argsort(-scores, kind="stable")
    return [(int(seqs[i]), float(scores[i])) for i in order]

"""Where documents' files are kept: `<data_dir>/uploads/knowledge/<kb id>/<document id>`."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class DocumentFiles:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "uploads" / "knowledge"

    def path(self, kb_id: str, document_id: str) -> Path:
        """The file of a document; ids that could leave the folder are refused."""
        if not (_ID.match(kb_id) and _ID.match(document_id)):
            raise ValueError(f"not a knowledge base and document id: {kb_id!r}, {document_id!r}")
        return self.root / kb_id / document_id

    async def save(self, kb_id: str, document_id: str, data: bytes) -> None:
        await asyncio.to_thread(_write, self.path(kb_id, document_id), data)

    async def read(self, kb_id: str, document_id: str) -> bytes | None:
        """The file's bytes, or None if there is no file (yet)."""
        try:
            return await asyncio.to_thread(self.path(kb_id, document_id).read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, kb_id: str, document_id: str) -> None:
        self.path(kb_id, document_id).unlink(missing_ok=True)

    async def delete_all(self, kb_id: str) -> None:
        if not _ID.match(kb_id):
            raise ValueError(f"not a knowledge base id: {kb_id!r}")
        await asyncio.to_thread(shutil.rmtree, self.root / kb_id, ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary name, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)

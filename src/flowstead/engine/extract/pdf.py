"""Text of a PDF's pages through pypdf (pure Python), pages separated by a blank line."""

from __future__ import annotations

import io

from flowstead.engine.extract.errors import ExtractError


def pdf_text(data: bytes) -> str:
    try:
        # Imported when needed: most runs never read a PDF.
        from pypdf import PdfReader
    except ImportError as exc:
        raise ExtractError("reading PDF needs the pypdf package, which is not installed") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError("the PDF is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ExtractError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise ExtractError(f"it is not a readable PDF ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(page.strip() for page in pages if page.strip())

"""The one error text extraction raises."""

from __future__ import annotations


class ExtractError(ValueError):
    """A file's text could not be extracted; the message says why, for a person."""

"""Separating a model's `<think>…</think>` reasoning from its answer, as text streams in.

Reasoning models (DeepSeek-R1, Qwen3, QwQ served by Ollama or vLLM) often put their
reasoning inline in the text. `ThinkSplitter` is fed the text deltas in order and returns
the answer and the reasoning in each; a tag split across deltas is held back until it is
complete, so reasoning is never passed on as answer text.
"""

from __future__ import annotations

from typing import NamedTuple

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class Split(NamedTuple):
    answer: str
    reasoning: str


class ThinkSplitter:
    """A streaming-safe splitter of answer text and `<think>` blocks.

    Whitespace right after a `</think>` is dropped (models put a blank line there). A block
    still open when the text ends counts as reasoning. A text without `<think>` passes
    through unchanged, except that a trailing `<`, `<th`… waits for the next delta.
    """

    def __init__(self) -> None:
        self._pending = ""
        self._inside = False
        self._after_close = False

    def feed(self, text: str) -> Split:
        """The answer and reasoning that `text` completes (possibly both empty)."""
        answer: list[str] = []
        reasoning: list[str] = []
        buffer = self._pending + text
        while buffer:
            tag = CLOSE_TAG if self._inside else OPEN_TAG
            index = buffer.find(tag)
            if index < 0:
                keep = _partial_tag_length(buffer, tag)
                self._emit(buffer[: len(buffer) - keep], answer, reasoning)
                self._pending = buffer[len(buffer) - keep :]
                break
            self._emit(buffer[:index], answer, reasoning)
            buffer = buffer[index + len(tag) :]
            self._inside = not self._inside
            self._after_close = not self._inside
            self._pending = ""
        return Split("".join(answer), "".join(reasoning))

    def flush(self) -> Split:
        """The text held back at the end of the stream."""
        answer: list[str] = []
        reasoning: list[str] = []
        self._emit(self._pending, answer, reasoning)
        self._pending = ""
        return Split("".join(answer), "".join(reasoning))

    def _emit(self, piece: str, answer: list[str], reasoning: list[str]) -> None:
        if self._inside:
            reasoning.append(piece)
            return
        if self._after_close:
            piece = piece.lstrip()
            if not piece:
                return
            self._after_close = False
        answer.append(piece)


def split_think(text: str) -> Split:
    """Split a whole text at once: `split_think("<think>hm</think>Hi")` → ("Hi", "hm")."""
    splitter = ThinkSplitter()
    first = splitter.feed(text)
    last = splitter.flush()
    return Split(first.answer + last.answer, first.reasoning + last.reasoning)


def _partial_tag_length(text: str, tag: str) -> int:
    """The length of the longest end of `text` that is a start of `tag`."""
    for length in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:length]):
            return length
    return 0

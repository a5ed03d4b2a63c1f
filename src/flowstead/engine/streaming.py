"""Answer streaming: each answer's text goes out as soon as each part of it is known.

An answer's template is split into literal parts and `{{ node.attr }}` references. Once
the answer is certain to run, its parts stream in order: literals at once, a reference
to an upstream node's `text` as that node streams it, other references when their node
finishes. Answers stream one after another, never interleaved, so a client can join
their chunks into one message.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from flowstead.engine import selectors

_REFERENCE = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.\w+)*)\s*\}\}")
_MARKERS = ("{{", "{%", "{#")


class Ref(NamedTuple):
    selector: str
    root: str
    # `node.text`: forwarded chunk by chunk while that node streams.
    streams: bool


Segment = str | Ref


def segments(text: str) -> tuple[Segment, ...] | None:
    """The parts of an answer template, or None when it uses more of Jinja than plain
    references (then the answer streams whole when it has rendered)."""
    parts: list[Segment] = []
    position = 0
    for match in _REFERENCE.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        selector = match.group(1)
        root, _, rest = selector.partition(".")
        parts.append(Ref(selector, root, rest == "text"))
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    if any(isinstance(p, str) and any(m in p for m in _MARKERS) for p in parts):
        return None
    return tuple(parts)


class Host(Protocol):
    """What the coordinator needs from the walk it serves."""

    @property
    def namespace(self) -> Mapping[str, Any]: ...

    def pending(self, node_id: str) -> bool:
        """A node of this walk that has not finished (nor been skipped) yet."""
        ...

    def settled(self, root: str) -> bool:
        """Values under `root` can no longer change (not conversation or loop variables)."""
        ...

    def certain(self, node_id: str) -> bool:
        """The node will run unless the run fails: no undecided branch can skip it."""
        ...

    def emit_text(self, node_id: str, text: str) -> None: ...


@dataclass(slots=True, eq=False)
class _Session:
    node_id: str
    parts: tuple[Segment, ...] | None
    cursor: int = 0
    sent: list[str] = field(default_factory=list)
    # For the reference at the cursor: how many chunks, and what text, went out already.
    used: int = 0
    partial: str = ""
    final: str | None = None
    closed: bool = False


class Coordinator:
    """Streams the answer nodes of one walk, in the order they become certain to run."""

    def __init__(self, host: Host, answers: Mapping[str, tuple[Segment, ...] | None]):
        self._host = host
        self._sessions = {node_id: _Session(node_id, parts) for node_id, parts in answers.items()}
        self._waiting = dict(self._sessions)
        self._queue: deque[_Session] = deque()
        self._chunks: dict[str, list[str]] = {
            part.root: []
            for parts in answers.values()
            for part in parts or ()
            if isinstance(part, Ref) and part.streams
        }

    def activate(self) -> None:
        """Start the sessions of answers that became certain to run."""
        if not self._waiting:
            return
        for node_id in [n for n in self._waiting if self._host.certain(n)]:
            self._queue.append(self._waiting.pop(node_id))
        self._pump()

    def chunk(self, node_id: str, text: str) -> None:
        chunks = self._chunks.get(node_id)
        if chunks is not None:
            chunks.append(text)
            self._pump()

    def node_finished(self) -> None:
        if self._queue:
            self._pump()

    def answer(self, node_id: str, text: str) -> None:
        """The answer node rendered its whole text: send what its session has not."""
        session = self._sessions[node_id]
        session.final = text
        if self._waiting.pop(node_id, None) is not None:
            self._queue.append(session)
        self._pump()

    def close(self, node_id: str) -> None:
        """The answer finished (or was replayed from a snapshot): nothing more to send."""
        session = self._sessions[node_id]
        session.closed = True
        self._waiting.pop(node_id, None)
        self._pump()

    def _pump(self) -> None:
        while self._queue and self._advance(self._queue[0]):
            self._queue.popleft()

    def _advance(self, session: _Session) -> bool:
        """Send what can be sent; True once the session is complete."""
        if session.final is not None:
            sent = "".join(session.sent)
            if session.final.startswith(sent):
                self._send(session, session.final[len(sent) :])
            return True
        if session.closed:
            return True
        if session.parts is None:
            return False
        while session.cursor < len(session.parts):
            part = session.parts[session.cursor]
            if isinstance(part, str):
                self._send(session, part)
            else:
                text = self._resolve(session, part)
                if text is None:
                    return False
                if text.startswith(session.partial):
                    self._send(session, text[len(session.partial) :])
                session.used, session.partial = 0, ""
            session.cursor += 1
        return True

    def _resolve(self, session: _Session, ref: Ref) -> str | None:
        host = self._host
        if host.pending(ref.root):
            chunks = self._chunks.get(ref.root) if ref.streams else None
            if chunks and session.used < len(chunks):
                text = "".join(chunks[session.used :])
                session.used = len(chunks)
                session.partial += text
                self._send(session, text)
            return None
        if not host.settled(ref.root):
            return None
        try:
            return str(selectors.lookup(host.namespace, ref.selector))
        except selectors.Missing:
            return None

    def _send(self, session: _Session, text: str) -> None:
        if text:
            session.sent.append(text)
            self._host.emit_text(session.node_id, text)

"""The SQLite connections of one process: grouped writes, quick reads, and the slow path.

- Writes are operations (plain functions of the writer connection) queued by `run()`.
  Whatever is queued while the event loop is busy is committed in ONE `BEGIN IMMEDIATE`
  transaction, each operation inside its own savepoint: concurrent runs share commits, a
  failing operation rolls back only itself, and each caller gets its own result or error.
  The operations execute on the event loop: a few tens of microseconds each, where a
  round trip to a driver thread costs more than the write itself.
- The write lock is taken without SQLite's busy handler, which sleeps in steps of
  milliseconds; while another process holds the lock, a thread retries every few dozen
  microseconds so the event loop stays free.
- `select()` reads on the event loop too, for indexed lookups of a few rows; under WAL a
  reader does not wait for writers, and should it have to wait (a restore holding the
  file) it reads in the driver thread instead. `fetch_all()`/`fetch_one()` read in the
  driver thread, for queries that may take long (full-text and vector search).
- `transaction()` is an interactive transaction in a driver thread (migrations, bulk
  inserts); it excludes the grouped writes while it runs.
- Checkpoints (copying the WAL into the database file, with an fsync) run in a thread
  shortly after commits, instead of inside whichever commit crosses SQLite's threshold;
  when the WAL has grown long (steady writers never let it be copied to its end, so it
  never starts over) they also seize a quiet instant to make it start over.

A store is normally used from one event loop; tests also call it from a second loop in
another thread, so the writer connection has a thread lock and each thread its reader.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from flowstead.store.errors import StoreError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
# How often a writer looks again while another process holds the write lock (seconds).
_BUSY_RETRY_FIRST = 0.00005
_BUSY_RETRY_MAX = 0.001
_STATEMENT_CACHE = 256
# A checkpoint follows the first commit after the last one by this much (seconds).
_CHECKPOINT_DELAY = 0.05
# Beyond this many frames (of a page each) in the WAL, a checkpoint also tries to make
# it start over (see `_copy_wal`).
_WAL_RESTART_FRAMES = 1000

T = TypeVar("T")
Params = Sequence[Any] | dict[str, Any]
Operation = Callable[[sqlite3.Connection], T]


class _Queued:
    __slots__ = ("future", "operation")

    def __init__(self, operation: Operation[Any], future: asyncio.Future[Any]) -> None:
        self.operation = operation
        self.future = future


class _LoopWrites:
    """The operations one event loop queued, and what is under way to write them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: list[_Queued] = []
        self.scheduled = False
        self.flusher: asyncio.Task[None] | None = None
        self.checkpoint: asyncio.TimerHandle | asyncio.Future[None] | None = None


class WriteStats:
    """Counters of grouped writes, for benchmarks and debugging."""

    def __init__(self) -> None:
        self.groups = 0
        self.operations = 0
        self.busy = 0
        self.busy_seconds = 0.0


class Database:
    def __init__(
        self,
        path: Path,
        writer: sqlite3.Connection,
        session: aiosqlite.Connection,
        slow_reader: aiosqlite.Connection,
        checkpointer: sqlite3.Connection,
    ) -> None:
        self._path = path
        self._writer = writer
        self._session = session
        self._slow_reader = slow_reader
        self._checkpointer = checkpointer
        # Who holds the writer (and the session): a group of operations or a transaction().
        self._writing = threading.Lock()
        self._checkpointing = threading.Lock()
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopWrites] = (
            weakref.WeakKeyDictionary()
        )
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._closed = False
        self.stats = WriteStats()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database file and bring its schema up to date."""
        path.parent.mkdir(parents=True, exist_ok=True)
        opened: list[sqlite3.Connection | aiosqlite.Connection] = []
        try:
            session = await _connect_driver(path)
            opened.append(session)
            await _use_wal(session)
            slow_reader = await _connect_driver(path, "query_only = ON")
            opened.append(slow_reader)
            # Checkpoints are ours to run (in a thread), not the committing writer's.
            writer = _connect(path, "busy_timeout = 0", "wal_autocheckpoint = 0")
            opened.append(writer)
            checkpointer = _connect(path, "busy_timeout = 0")
            opened.append(checkpointer)
        except BaseException:
            for connection in reversed(opened):
                await _close(connection)
            raise
        db = cls(path, writer, session, slow_reader, checkpointer)
        try:
            await db.migrate()
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        writes = self._loops.get(asyncio.get_running_loop())
        if writes is not None:
            self._flush_soon(writes)
            if writes.flusher is not None and not writes.flusher.done():
                await asyncio.shield(writes.flusher)
            if isinstance(writes.checkpoint, asyncio.TimerHandle):
                writes.checkpoint.cancel()
        with self._checkpointing:  # a checkpoint under way ends first
            self._checkpointer.close()
        for reader in self._readers:
            reader.close()
        self._writer.close()
        await self._slow_reader.close()
        await self._session.close()

    # Grouped writes

    async def run(self, operation: Operation[T]) -> T:
        """Run `operation(writer)` atomically, in a transaction it may share with others.

        The operation must only touch the database through the connection it is given
        and raise to undo its own changes; it must not commit or roll back."""
        if self._closed:
            raise StoreError("the database is closed")
        loop = asyncio.get_running_loop()
        writes = self._loops.get(loop)
        if writes is None:
            writes = self._loops[loop] = _LoopWrites(loop)
        future: asyncio.Future[T] = loop.create_future()
        writes.queue.append(_Queued(operation, future))
        if not writes.scheduled:
            # Once the event loop has run what is ready now, with what that queues too.
            writes.scheduled = True
            loop.call_soon(self._flush_soon, writes)
        return await future

    async def write(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run one writing statement; returns its RETURNING rows."""
        return await self.run(lambda conn: conn.execute(sql, params).fetchall())

    def _flush_soon(self, writes: _LoopWrites) -> None:
        """Commit the queued operations right here when the writer and SQLite's write lock
        are free; else leave them to a task that waits for both."""
        writes.scheduled = False
        if not writes.queue or (writes.flusher is not None and not writes.flusher.done()):
            return  # nothing to do, or the waiting task takes these too
        if self._writing.acquire(blocking=False):
            try:
                began = self._try_begin()
                if began:
                    group, writes.queue = writes.queue, []
                    self._commit_group(writes, group)
            except Exception as exc:
                group, writes.queue = writes.queue, []
                _settle([(queued, None, exc) for queued in group])
                return
            finally:
                self._writing.release()
            if began:
                if writes.queue and not writes.scheduled:  # operations to do again
                    writes.scheduled = True
                    writes.loop.call_soon(self._flush_soon, writes)
                return
        writes.flusher = writes.loop.create_task(self._flush(writes))

    async def _flush(self, writes: _LoopWrites) -> None:
        """Commit the loop's queued operations, a group at a time, until none are left."""
        while writes.queue:
            await _acquire(self._writing)
            try:
                try:
                    await self._begin()
                except Exception as exc:
                    group, writes.queue = writes.queue, []
                    _settle([(queued, None, exc) for queued in group])
                    continue
                group, writes.queue = writes.queue, []
                self._commit_group(writes, group)
            finally:
                self._writing.release()

    def _commit_group(self, writes: _LoopWrites, group: list[_Queued]) -> None:
        """Inside `BEGIN IMMEDIATE`: run the group's operations, commit, tell each caller."""
        group = [queued for queued in group if not queued.future.done()]
        try:
            outcomes = self._apply(writes, group)
            if self._writer.in_transaction:
                self._writer.execute("COMMIT")
        except Exception as exc:
            self._rollback()
            _settle([(queued, None, exc) for queued in group])
            return
        except BaseException:
            self._rollback()
            for queued in group:
                queued.future.cancel()
            raise
        self.stats.groups += 1
        self.stats.operations += len(outcomes)
        _settle(outcomes)
        if writes.checkpoint is None:
            writes.checkpoint = writes.loop.call_later(_CHECKPOINT_DELAY, self._checkpoint, writes)

    def _apply(
        self, writes: _LoopWrites, group: list[_Queued]
    ) -> list[tuple[_Queued, Any, Exception | None]]:
        """Run each operation in its own savepoint (none is needed for a lone one)."""
        conn = self._writer
        alone = len(group) == 1
        outcomes: list[tuple[_Queued, Any, Exception | None]] = []
        for index, queued in enumerate(group):
            if not alone:
                conn.execute("SAVEPOINT operation")
            try:
                value = queued.operation(conn)
            except Exception as exc:
                if not conn.in_transaction:
                    # SQLite rolled the whole transaction back (disk full, I/O error): the
                    # operations that went well are undone, so they go again next time.
                    redo = [done for done, _, error in outcomes if error is None]
                    writes.queue[:0] = redo + group[index + 1 :]
                    failed = [outcome for outcome in outcomes if outcome[2] is not None]
                    return [*failed, (queued, None, exc)]
                if alone:
                    self._rollback()
                else:
                    conn.execute("ROLLBACK TO operation")
                    conn.execute("RELEASE operation")
                outcomes.append((queued, None, exc))
            else:
                if not alone:
                    conn.execute("RELEASE operation")
                outcomes.append((queued, value, None))
        return outcomes

    def _try_begin(self) -> bool:
        """`BEGIN IMMEDIATE` if SQLite's write lock is free; False if another process has it."""
        try:
            self._writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            return False
        return True

    async def _begin(self) -> None:
        """`BEGIN IMMEDIATE` at once, or (another process writing) from a thread that
        looks again every few dozen microseconds until the lock is free."""
        if self._try_begin():
            return
        self.stats.busy += 1
        started = time.perf_counter()
        try:
            await _uncancelled(asyncio.to_thread(self._begin_when_free), self._rollback)
        finally:
            self.stats.busy_seconds += time.perf_counter() - started

    def _begin_when_free(self) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = _BUSY_RETRY_FIRST
        while True:
            time.sleep(pause)
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
            pause = min(pause * 2, _BUSY_RETRY_MAX)

    def _rollback(self) -> None:
        if self._writer.in_transaction:
            self._writer.execute("ROLLBACK")

    def _checkpoint(self, writes: _LoopWrites) -> None:
        """Copy the WAL into the database in a thread, a moment after a commit (a passive
        checkpoint: it waits for nobody, and another process's may be running)."""
        copying = writes.loop.run_in_executor(None, self._copy_wal)
        writes.checkpoint = copying

        def copied(done: asyncio.Future[None]) -> None:
            writes.checkpoint = None
            if not done.cancelled() and (exc := done.exception()) is not None:
                log.warning("checkpoint failed: %s", exc)

        copying.add_done_callback(copied)

    def _copy_wal(self) -> None:
        with self._checkpointing:
            try:
                _busy_now, frames, _copied = self._checkpointer.execute(
                    "PRAGMA wal_checkpoint(PASSIVE)"
                ).fetchone()
                if frames > _WAL_RESTART_FRAMES:
                    # The WAL starts over only when a writer finds it fully copied, and
                    # writers that never pause never do: when nobody writes or reads at
                    # this instant, a RESTART checkpoint copies the rest and sees to it
                    # (without a busy timeout it waits for nobody: else it tries again
                    # next time).
                    self._checkpointer.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
            except sqlite3.OperationalError as exc:
                if not _busy(exc):  # busy: another process is checkpointing right now
                    raise
            except sqlite3.ProgrammingError:  # closed meanwhile
                pass

    # Interactive transactions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A connection inside `BEGIN IMMEDIATE`, in a driver thread; commits on success,
        rolls back on error. For long or bulk writes; prefer `run()` for short ones."""
        await _acquire(self._writing)
        try:
            await self._session.execute("BEGIN IMMEDIATE")
            yield self._session
            await self._session.execute("COMMIT")
        except BaseException:
            # Shielded: a cancelled BEGIN still runs in the driver thread, and the
            # connection must never be left inside a transaction.
            await asyncio.shield(self._session_rollback())
            raise
        finally:
            self._writing.release()

    async def _session_rollback(self) -> None:
        try:
            await self._session.execute("ROLLBACK")
        except sqlite3.OperationalError:
            if self._session.in_transaction:
                raise

    # Reads

    async def select(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Rows of a quick read (an indexed lookup of a few rows), on the event loop; in
        the driver thread instead when it would have to wait (a restore, say, holds the
        file), so the event loop never waits for a lock."""
        try:
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return await self.fetch_all(sql, params)

    async def select_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.select(sql, params)
        return rows[0] if rows else None

    def _reader(self) -> sqlite3.Connection:
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            if self._closed:
                raise StoreError("the database is closed")
            reader = _connect(self._path, "busy_timeout = 0", "query_only = ON")
            self._local.reader = reader
            self._readers.append(reader)
        return reader

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Rows of a read that may take a while, in a driver thread."""
        return list(await self._slow_reader.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self._slow_reader.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def migrate(self) -> list[int]:
        """Apply the numbered migrations not yet recorded; returns the versions applied."""
        applied: list[int] = []
        async with self.transaction() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            done = {row[0] for row in await conn.execute_fetchall(_APPLIED)}
            for version, name, script in _migrations():
                if version in done:
                    continue
                for statement in split_statements(script):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, time.time()),
                )
                applied.append(version)
        return applied


_APPLIED = "SELECT version FROM schema_migrations"
# WAL with NORMAL survives a crash of the process; a power cut may lose the last commits
# but never corrupts the file.
_PRAGMAS = ("foreign_keys = ON", "synchronous = NORMAL")


async def _acquire(lock: threading.Lock) -> None:
    """Take a thread lock without blocking the event loop (it is rarely contended)."""
    if not lock.acquire(blocking=False):
        await _uncancelled(asyncio.to_thread(lock.acquire), lock.release)


async def _uncancelled(work: Awaitable[Any], undo: Callable[[], Any]) -> None:
    """Await work done in a thread; if cancelled meanwhile, let it finish, then `undo`."""
    future = asyncio.ensure_future(work)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        done = await asyncio.gather(future, return_exceptions=True)
        if not isinstance(done[0], BaseException):
            undo()
        raise


def _settle(outcomes: Sequence[tuple[_Queued, Any, BaseException | None]]) -> None:
    for queued, value, error in outcomes:
        if queued.future.done():  # its caller was cancelled
            continue
        if error is None:
            queued.future.set_result(value)
        else:
            queued.future.set_exception(error)


def _busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


def _connect(path: Path, *pragmas: str) -> sqlite3.Connection:
    """A connection used without a driver thread, in autocommit mode (transactions are
    explicit). Not bound to its thread: the writer takes its lock from a helper thread
    when it has to wait, while nothing else uses it."""
    conn = sqlite3.connect(
        path,
        isolation_level=None,
        timeout=0,
        check_same_thread=False,
        cached_statements=_STATEMENT_CACHE,
    )
    conn.row_factory = sqlite3.Row
    try:
        for pragma in (*_PRAGMAS, *pragmas):
            conn.execute(f"PRAGMA {pragma}").fetchall()
    except BaseException:
        conn.close()
        raise
    return conn


async def _connect_driver(path: Path, *pragmas: str) -> aiosqlite.Connection:
    """A connection in its own driver thread, in autocommit mode, with our pragmas."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        for pragma in (f"busy_timeout = {BUSY_TIMEOUT_MS}", *_PRAGMAS, *pragmas):
            await conn.execute_fetchall(f"PRAGMA {pragma}")
    except BaseException:
        await conn.close()
        raise
    return conn


async def _close(connection: sqlite3.Connection | aiosqlite.Connection) -> None:
    if isinstance(connection, aiosqlite.Connection):
        await connection.close()
    else:
        connection.close()


async def _use_wal(conn: aiosqlite.Connection) -> None:
    """Switch the file to WAL (a no-op once done). The switch needs the file to itself and
    does not wait through busy_timeout, so retry while another connection is busy."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)
            continue
        if rows[0][0] != "wal":
            raise StoreError(f"SQLite refused WAL mode (journal_mode is {rows[0][0]})")
        return


def _migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of `migrations/NNNN_*.sql`, in order."""
    folder = resources.files(__package__).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text()))
    return sorted(found)


def split_statements(script: str) -> list[str]:
    """Split a SQL script into complete statements (so they can run inside a transaction)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not _only_comments(buffer):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return [s for s in statements if not _only_comments(s)]


def _only_comments(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())

"""Walking one scope of the graph (the top level, or one run of a container's body).

Dify's rules: a node runs once none of its incoming edges is undecided and at least one
was taken; a finished node takes the edges of its handle and skips the rest; a node whose
incoming edges are all skipped is skipped, and so are its outgoing edges.
"""

from __future__ import annotations

import asyncio
from collections import ChainMap, deque
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from flowstead.engine import selectors
from flowstead.engine.container import Body
from flowstead.engine.context import ContainerRunContext, RunContext
from flowstead.engine.events import (
    NodeFinished,
    NodeRetry,
    NodeSkipped,
    NodeSnapshot,
    NodeStarted,
    NodeStatus,
    RunPaused,
    RunResumed,
    Snapshot,
    TextChunk,
)
from flowstead.engine.graph import CompiledNode, Scope
from flowstead.engine.node import DEFAULT_HANDLE, FAIL_BRANCH, NodeResult
from flowstead.engine.run import Run
from flowstead.engine.streaming import Coordinator

UNKNOWN, TAKEN, SKIPPED = 0, 1, 2


@dataclass(slots=True)
class _Attempted:
    result: NodeResult
    attempt: int
    elapsed: float
    assigned: dict[str, Any]
    error_type: str | None


class Walk:
    """Runs the nodes of one scope as they become ready, up to `max_parallel` at once."""

    def __init__(
        self,
        run: Run,
        scope: Scope,
        namespace: MutableMapping[str, Any],
        *,
        place: Mapping[str, Any] | None = None,
        loops: Mapping[str, dict[str, Any]] | None = None,
        resume: Mapping[str, NodeSnapshot] | None = None,
        top: bool = False,
    ):
        self.run = run
        self.scope = scope
        self.namespace = namespace
        # Where this walk is (iteration/loop id and index), copied into node events.
        self.place = place or {}
        # The state dicts of the loops around this walk, by loop id.
        self.loops = loops or {}
        self.resume = resume or {}
        self.top = top
        self.edges = [UNKNOWN] * len(scope.sources)
        self.undecided = {node_id: len(edges) for node_id, edges in scope.incoming.items()}
        self.reached: set[str] = set()
        self.ready = deque(scope.entries)
        # Running nodes: their task, or None for the one running in this walk's own task.
        self.running: dict[str, asyncio.Task[None] | None] = {}
        self.started: dict[str, float] = {}
        self._done: asyncio.Queue[tuple[CompiledNode, _Attempted]] | None = None
        self.finished: dict[str, NodeSnapshot] = {}
        self.skipped: set[str] = set()
        self.failure: str | None = None
        self.stream = Coordinator(self, scope.answers) if scope.answers else None

    async def execute(self) -> str | None:
        """Run this scope to its end; the failure that ended it, or None."""
        try:
            while True:
                alone = self._start_ready()
                if self.stream is not None:
                    self.stream.activate()
                if alone is not None:
                    # The only node that can run: run it here, saving a task and a wake-up.
                    attempted = await self._execute(alone)
                elif self.running:
                    alone, attempted = await self.done.get()
                elif self.ready and self.top and self.run.pausing:
                    await self._pause()
                    continue
                else:
                    return None
                del self.running[alone.id]
                self._finish(alone, attempted)
                if self.failure is not None:
                    await self._stop_running("stopped: another node failed")
                    return self.failure
        except asyncio.CancelledError:
            aborted = self.run.aborted
            await self._stop_running(aborted[1] if aborted else "cancelled")
            raise

    def _start_ready(self) -> CompiledNode | None:
        """Start the ready nodes; the one to run in place when it is the only one."""
        run = self.run
        while self.ready and len(self.running) < run.limits.max_parallel:
            if self.top and run.pausing:
                return None
            cnode = self.scope.nodes[self.ready.popleft()]
            snapshot = self.resume.get(cnode.id)
            if snapshot is not None:
                self._replay(cnode, snapshot)
                continue
            now = run.collaborators.clock.monotonic()
            exceeded = run.budget.admit(now)
            if exceeded is not None:
                run.abort("failed", exceeded)
            self.started[cnode.id] = now
            if not self.running and not self.ready:
                self.running[cnode.id] = None
                return cnode
            self.running[cnode.id] = asyncio.create_task(self._in_task(cnode))
        return None

    @property
    def done(self) -> asyncio.Queue[tuple[CompiledNode, _Attempted]]:
        """Where nodes running in their own task leave their result."""
        if self._done is None:
            self._done = asyncio.Queue()
        return self._done

    async def _in_task(self, cnode: CompiledNode) -> None:
        try:
            attempted = await self._execute(cnode)
        except Exception as exc:  # an engine bug: the walk must still hear of this node
            failure = NodeResult.fail(f"engine error: {type(exc).__name__}: {exc}")
            attempted = _Attempted(failure, 1, 0.0, {}, type(exc).__name__)
        self.done.put_nowait((cnode, attempted))

    async def _execute(self, cnode: CompiledNode) -> _Attempted:
        run, node = self.run, cnode.node
        clock = run.collaborators.clock
        run.emit(NodeStarted(node_id=node.id, node_type=node.type, title=node.title, **self.place))
        attempts = 1 + (node.retry.max_attempts if node.retry else 0)
        attempt = 1
        while True:
            ctx = ContainerRunContext(self, cnode) if cnode.body else RunContext(self, node)
            result, error_type = await self._attempt(cnode, ctx)
            if result.status == "succeeded" or attempt >= attempts or node.retry is None:
                break
            run.emit(
                NodeRetry(
                    node_id=node.id,
                    attempt=attempt,
                    error=result.error or "",
                    interval=node.retry.interval,
                    **self.place,
                )
            )
            await clock.sleep(node.retry.interval)
            attempt += 1
        elapsed = clock.monotonic() - self.started[node.id]
        return _Attempted(result, attempt, elapsed, ctx.assigned, error_type)

    async def _attempt(self, cnode: CompiledNode, ctx: RunContext) -> tuple[NodeResult, str | None]:
        budget = self.run.budget
        now = self.run.collaborators.clock.monotonic()
        seconds, by_run = budget.node_time(cnode.node.timeout, cnode.body is not None, now)
        timeout = asyncio.timeout(seconds)
        try:
            async with timeout:
                return await cnode.spec.run(cnode.config, ctx), None
        except Exception as exc:  # a bug in the node, or its time ran out: reported, not raised
            if isinstance(exc, TimeoutError) and timeout.expired():
                if by_run:
                    self.run.abort("failed", budget.time_exceeded())
                return NodeResult.fail(f"timed out after {seconds:g} s"), "TimeoutError"
            return NodeResult.fail(f"{type(exc).__name__}: {exc}"), type(exc).__name__

    def _finish(self, cnode: CompiledNode, attempted: _Attempted) -> None:
        result, node, run = attempted.result, cnode.node, self.run
        status: Literal["succeeded", "exception"] = "succeeded"
        outputs, handle = result.outputs, result.handle or DEFAULT_HANDLE
        if result.usage is not None:
            run.tokens += result.usage.total_tokens
        if result.status != "succeeded":
            error = result.error or "failed"
            strategy = node.on_error.strategy if node.on_error else "fail"
            if strategy == "fail":
                self.failure = f"node {node.id} failed: {error}"
                self._emit_finished(cnode, attempted, "failed", outputs, None)
                return
            status = "exception"
            details = {"error_message": error, "error_type": attempted.error_type or "NodeError"}
            if strategy == "fail_branch":
                outputs, handle = {**outputs, **details}, FAIL_BRANCH
            else:
                assert node.on_error is not None
                outputs, handle = {**node.on_error.default, **details}, DEFAULT_HANDLE
            run.handled_failure = True
        self._record(cnode, NodeSnapshot(status, outputs, handle))
        self._emit_finished(cnode, attempted, status, outputs, handle)
        self._route(cnode.id, handle)

    def _replay(self, cnode: CompiledNode, snapshot: NodeSnapshot) -> None:
        if snapshot.status == "exception":
            self.run.handled_failure = True
        self._record(cnode, snapshot)
        self._route(cnode.id, snapshot.handle or DEFAULT_HANDLE)

    def _record(self, cnode: CompiledNode, snapshot: NodeSnapshot) -> None:
        self.namespace[cnode.id] = snapshot.outputs
        self.finished[cnode.id] = snapshot
        if self.top and cnode.type == "end":
            self.run.outputs.update(snapshot.outputs)

    def _emit_finished(
        self,
        cnode: CompiledNode,
        attempted: _Attempted,
        status: NodeStatus,
        outputs: dict[str, Any],
        handle: str | None,
    ) -> None:
        if self.stream is not None:
            if cnode.id in self.scope.answers:
                self.stream.close(cnode.id)
            else:
                self.stream.node_finished()
        result, node = attempted.result, cnode.node
        self.run.emit(
            NodeFinished(
                node_id=node.id,
                node_type=node.type,
                title=node.title,
                status=status,
                inputs=result.inputs,
                outputs=outputs,
                process_data=result.process_data,
                error=result.error,
                handle=handle,
                elapsed=attempted.elapsed,
                usage=result.usage,
                attempt=attempted.attempt,
                assigned=attempted.assigned,
                **self.place,
            )
        )

    def _route(self, node_id: str, handle: str | None) -> None:
        """Take the edges of `handle` (None: skip them all) and propagate skips."""
        scope, edges, undecided = self.scope, self.edges, self.undecided
        pending = [(node_id, handle)]
        while pending:
            source, chosen = pending.pop()
            for index in scope.outgoing[source]:
                target = scope.targets[index]
                if scope.handles[index] == chosen:
                    edges[index] = TAKEN
                    self.reached.add(target)
                else:
                    edges[index] = SKIPPED
                undecided[target] -= 1
                if undecided[target] == 0:
                    if target in self.reached:
                        self.ready.append(target)
                    else:
                        self._skip(scope.nodes[target])
                        pending.append((target, None))

    def _skip(self, cnode: CompiledNode) -> None:
        self.skipped.add(cnode.id)
        if self.stream is not None and cnode.id in self.scope.answers:
            self.stream.close(cnode.id)
        self.run.emit(NodeSkipped(node_id=cnode.id, node_type=cnode.type, **self.place))

    async def _stop_running(self, reason: str) -> None:
        if not self.running:
            return
        stopped = list(self.running)
        tasks = [task for task in self.running.values() if task is not None]
        self.running.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        clock = self.run.collaborators.clock
        for node_id in stopped:
            node = self.scope.nodes[node_id].node
            self.run.emit(
                NodeFinished(
                    node_id=node_id,
                    node_type=node.type,
                    title=node.title,
                    status="stopped",
                    error=reason,
                    elapsed=clock.monotonic() - self.started[node_id],
                    **self.place,
                )
            )

    async def _pause(self) -> None:
        run = self.run
        snapshot = Snapshot(
            nodes=dict(self.finished), conversation=dict(self.namespace["conversation"])
        )
        run.emit(RunPaused(snapshot=snapshot, reason=run.pause_reason))
        await run.resumed()
        run.emit(RunResumed())

    # Containers

    def child_namespace(self, container_id: str, values: dict[str, Any]) -> ChainMap[str, Any]:
        if isinstance(self.namespace, ChainMap):
            return self.namespace.new_child({container_id: values})
        return ChainMap({container_id: values}, self.namespace)

    async def run_body(self, container: CompiledNode, index: int, values: dict[str, Any]) -> Body:
        assert container.body is not None
        namespace = self.child_namespace(container.id, values)
        loops = self.loops
        if container.type == "loop":
            place = {"loop_id": container.id, "loop_index": index}
            loops = {**loops, container.id: values}
        else:
            place = {"iteration_id": container.id, "iteration_index": index}
        walk = Walk(self.run, container.body, namespace, place=place, loops=loops)
        failure = await walk.execute()
        return Body(failure, namespace)

    # What nodes reach through their context

    def stream_text(self, node_id: str, text: str) -> None:
        if self.stream is None:
            self.run.emit(TextChunk(node_id=node_id, text=text))
        elif node_id in self.scope.answers:
            self.stream.answer(node_id, text)
        else:
            self.run.emit(TextChunk(node_id=node_id, text=text))
            self.stream.chunk(node_id, text)

    def assign(self, selector: str, value: Any) -> None:
        root, _, name = selector.partition(".")
        if root == "conversation":
            variables = self.namespace["conversation"]
        elif root in self.loops:
            variables = self.loops[root]
        else:
            raise selectors.Missing(
                f"cannot assign `{selector}`: only conversation and loop variables can be written"
            )
        if name not in variables or (root in self.loops and name == "index"):
            raise selectors.Missing(f"no variable `{selector}` to assign")
        variables[name] = value

    # The coordinator's view of this walk (streaming.Host)

    def emit_text(self, node_id: str, text: str) -> None:
        if self.top:
            self.run.answers.append(text)
        self.run.emit(TextChunk(node_id=node_id, text=text))

    def pending(self, node_id: str) -> bool:
        return (
            node_id in self.scope.nodes
            and node_id not in self.finished
            and node_id not in self.skipped
        )

    def settled(self, root: str) -> bool:
        return root != "conversation" and root not in self.loops

    def certain(self, node_id: str) -> bool:
        return self._certain(node_id, {})

    def _certain(self, node_id: str, seen: dict[str, bool]) -> bool:
        if node_id in seen:
            return seen[node_id]
        seen[node_id] = False
        scope = self.scope
        result = node_id in scope.entries and node_id not in self.skipped
        for index in scope.incoming[node_id]:
            if result:
                break
            state, source = self.edges[index], scope.sources[index]
            result = state == TAKEN or (
                state == UNKNOWN
                and not scope.nodes[source].branching
                and self._certain(source, seen)
            )
        seen[node_id] = result
        return result

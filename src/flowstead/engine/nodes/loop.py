"""Loop: runs its child nodes until a break condition holds or `max_count` is reached.

Children see `<loop_id>.index` and each loop variable as `<loop_id>.<name>`. As in Dify,
the break conditions are checked before the first round (where an error counts as "not
yet") and after every round."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from flowstead.engine import selectors, templates
from flowstead.engine.conditions import Combine, Condition, ConditionError, check
from flowstead.engine.container import container_context
from flowstead.engine.events import LoopCompleted, LoopNext, LoopStarted
from flowstead.engine.node import NodeContext, NodeResult, NodeSpec
from flowstead.engine.pool import zero_value


class LoopVariable(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    type: str = "string"
    # `constant`: `value` as is; `variable`: `value` is a selector read at loop start.
    value_type: Literal["constant", "variable"] = "constant"
    value: Any = None


class LoopConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    variables: list[LoopVariable] = []
    break_conditions: list[Condition] = []
    operator: Combine = "and"
    max_count: int = 10


async def run(config: LoopConfig, ctx: NodeContext) -> NodeResult:
    body = container_context(ctx)
    node_id = ctx.node.id
    try:
        state = {var.name: _initial(var, ctx) for var in config.variables}
    except (selectors.Missing, ValueError) as exc:
        return NodeResult.fail(str(exc))
    inputs = dict(state)
    state["index"] = 0
    body.emit(LoopStarted(node_id=node_id, max_count=config.max_count, variables=inputs))
    try:
        done = _should_break(config, body.view(state))
    except (ConditionError, templates.TemplateError):
        done = False
    rounds = 0
    while not done and rounds < config.max_count:
        state["index"] = rounds
        body.emit(LoopNext(node_id=node_id, index=rounds, variables=_variables(state)))
        result = await body.run_body(rounds, state)
        rounds += 1
        error = result.failure
        if error is None:
            try:
                done = _should_break(config, result.namespace)
            except (ConditionError, templates.TemplateError) as exc:
                error = f"break conditions: {exc}"
        if error is not None:
            error = f"round {rounds - 1} failed: {error}"
            body.emit(LoopCompleted(node_id=node_id, status="failed", error=error))
            return NodeResult.fail(error, inputs=inputs)
    outputs = {**_variables(state), "index": state["index"], "loop_round": rounds}
    body.emit(LoopCompleted(node_id=node_id, status="succeeded", outputs=outputs))
    return NodeResult.ok(outputs, inputs=inputs)


def _initial(var: LoopVariable, ctx: NodeContext) -> Any:
    if var.value_type == "variable":
        return ctx.resolve(str(var.value))
    if var.value is None:
        return zero_value(var.type)
    if isinstance(var.value, str) and var.type != "string":
        try:
            return json.loads(var.value)
        except ValueError:
            message = f"loop variable `{var.name}`: {var.value!r} is not a value of type {var.type}"
            raise ValueError(message) from None
    return var.value


def _variables(state: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in state.items() if name != "index"}


def _should_break(config: LoopConfig, namespace: Mapping[str, Any]) -> bool:
    if not config.break_conditions:
        return False

    def read(selector: str) -> Any:
        try:
            return selectors.lookup(namespace, selector)
        except selectors.Missing:
            return None

    return check(
        config.break_conditions,
        config.operator,
        read,
        lambda source: templates.render(source, namespace),
    )


SPEC: NodeSpec[LoopConfig] = NodeSpec(
    type="loop",
    label="Loop",
    config=LoopConfig,
    run=run,
    outputs=lambda c: {
        **{v.name: v.type for v in c.variables},
        "index": "number",
        "loop_round": "number",
    },
    category="logic",
    container=True,
)

"""A conversation's variables as Dify's Service API shows them, and updating one.

The names, types and descriptions are the published document's `conversation_variables`;
the values are the conversation's (kept after each turn), else the declared default, else
the type's empty value, as a run would start with them. A value the conversation keeps
whose declaration is gone is listed after the declared ones, its type read from the value.
A variable's id is the one the Dify export gives its declaration, the same in every
conversation (as in Dify); `created_at` and `updated_at` are the conversation's.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from flowstead.dsl.dify.context import stable_id
from flowstead.dsl.document import ConversationVar, from_data
from flowstead.engine.pool import zero_value
from flowstead.services import run_views, workflows
from flowstead.store.errors import NotFound
from flowstead.store.protocol import Store
from flowstead.store.records import Conversation


class ConversationVariable(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    value_type: str
    value: Any
    description: str
    created_at: float
    updated_at: float


class TypeMismatch(ValueError):
    """A new value that does not fit the variable's declared type."""


def variable_id(name: str) -> str:
    return stable_id("conversation", name)


async def _declared(store: Store, workflow_id: str) -> list[ConversationVar]:
    _workflow, version = await workflows.published(store, workflow_id)
    return list(from_data(version.document).conversation_variables)


def _variables(
    conversation: Conversation, declared: list[ConversationVar]
) -> list[ConversationVariable]:
    kept = conversation.variables
    found = []
    for var in declared:
        start = zero_value(var.type) if var.default is None else var.default
        value = kept.get(var.name, start)
        found.append(_variable(conversation, var.name, var.type, value, var.description))
    names = {var.name for var in declared}
    for name, value in kept.items():
        if name not in names:
            found.append(_variable(conversation, name, type_of(value), value))
    return found


def _variable(
    conversation: Conversation, name: str, value_type: str, value: Any, description: str = ""
) -> ConversationVariable:
    return ConversationVariable(
        id=variable_id(name),
        name=name,
        value_type=value_type,
        value=value,
        description=description,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
    )


async def variables(
    store: Store,
    conversation_id: str,
    *,
    workflow_id: str,
    user: str,
    limit: int,
    last_id: str | None = None,
    name: str | None = None,
) -> tuple[list[ConversationVariable], bool]:
    """A page of the variables after `last_id` (a variable id; `NotFound` if it is not
    among them), optionally those whose name contains `name` in any case; and whether
    more follow."""
    conversation = await run_views.get_conversation(
        store, conversation_id, workflow_id=workflow_id, user=user
    )
    found = _variables(conversation, await _declared(store, workflow_id))
    if name:
        found = [var for var in found if name.lower() in var.name.lower()]
    if last_id:
        ids = [var.id for var in found]
        if last_id not in ids:
            raise NotFound("conversation variable", last_id)
        found = found[ids.index(last_id) + 1 :]
    return found[:limit], len(found) > limit


async def update(
    store: Store,
    conversation_id: str,
    variable: str,
    value: Any,
    *,
    workflow_id: str,
    user: str,
) -> ConversationVariable:
    """Set one variable (by id) to `value`, which must fit its type (`TypeMismatch`);
    the conversation's next turn starts with it."""
    conversation = await run_views.get_conversation(
        store, conversation_id, workflow_id=workflow_id, user=user
    )
    current = next(
        (
            var
            for var in _variables(conversation, await _declared(store, workflow_id))
            if var.id == variable
        ),
        None,
    )
    if current is None:
        raise NotFound("conversation variable", variable)
    if not fits(current.value_type, value):
        raise TypeMismatch(
            f"Type mismatch: variable '{current.name}' expects {current.value_type},"
            f" but got {type_of(value)} type"
        )
    updated = await store.conversations.set_variables(
        conversation_id, {**conversation.variables, current.name: value}
    )
    return msgspec.structs.replace(current, value=value, updated_at=updated.updated_at)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_FITS: Final = {
    "string": lambda v: isinstance(v, str),
    "number": _number,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "file": lambda v: isinstance(v, dict),
    "any": lambda v: True,
}


def fits(value_type: str, value: Any) -> bool:
    """Whether `value` is of the declared type (`array[number]`: a list of numbers…)."""
    if value_type.startswith("array"):
        item = value_type.removeprefix("array").strip("[]") or "any"
        return isinstance(value, list) and all(fits(item, v) for v in value)
    return _FITS.get(value_type, _FITS["any"])(value)


def type_of(value: Any) -> str:
    """The type a value has, named as Dify names it (`array[string]`, `none`…)."""
    if value is None:
        return "none"
    if isinstance(value, list):
        kinds = {type_of(v) for v in value}
        return f"array[{kinds.pop()}]" if len(kinds) == 1 else "array[any]"
    for name in ("boolean", "number", "string", "object"):
        if _FITS[name](value):
            return name
    return "any"

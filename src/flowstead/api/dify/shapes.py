"""Stored runs and run events in the shapes of Dify's Service API.

Field names follow Dify's `task_entities.py`; times are whole epoch seconds. One run is
one Dify task, so `task_id`, `workflow_run_id` and (in chat) `message_id` are the run id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from flowstead.dsl.document import Document
from flowstead.engine.nodes.start import StartInput
from flowstead.services.conversation_variables import ConversationVariable
from flowstead.services.uploads import FILE_TYPES, TRANSFER_METHODS
from flowstead.services.workflows import start_inputs
from flowstead.store.records import Conversation, Feedback, Message, Run, RunEvent, Workflow

DIFY_STATUS: Final = {
    "queued": "running",
    "running": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "partial_succeeded": "partial-succeeded",
    "stopped": "stopped",
}
DIFY_MODE: Final = {"workflow": "workflow", "chat": "advanced-chat"}


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)


def node_execution_id(run_id: str, node_id: str, index: int | None) -> str:
    """A stable id for one node execution, the same in its started and finished events."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"flowstead:{run_id}/{node_id}/{index or 0}"))


def status(run: Run) -> str:
    return DIFY_STATUS.get(run.status, run.status)


def run_data(run: Run) -> dict[str, Any]:
    """`data` of a blocking workflow answer (and of `workflow_finished`)."""
    return {
        "id": run.id,
        "workflow_id": run.workflow_id,
        "status": status(run),
        "outputs": run.outputs or {},
        "error": run.error,
        "elapsed_time": run.elapsed or 0.0,
        "total_tokens": run.total_tokens,
        "total_steps": run.total_steps,
        "created_at": int(run.created_at),
        "finished_at": _seconds(run.finished_at),
    }


def blocking_workflow(run: Run) -> dict[str, Any]:
    return {"task_id": run.id, "workflow_run_id": run.id, "data": run_data(run)}


def run_detail(run: Run) -> dict[str, Any]:
    """`GET /v1/workflows/run/{id}`."""
    return {
        "id": run.id,
        "workflow_id": run.workflow_id,
        "status": status(run),
        "inputs": {k: v for k, v in run.inputs.items() if not k.startswith("sys.")},
        "outputs": run.outputs or {},
        "error": run.error,
        "total_steps": run.total_steps,
        "total_tokens": run.total_tokens,
        "created_at": int(run.created_at),
        "finished_at": _seconds(run.finished_at),
        "elapsed_time": run.elapsed or 0.0,
    }


def usage(total_tokens: int, prompt_tokens: int = 0, completion_tokens: int = 0) -> dict[str, Any]:
    """Dify's `LLMUsage`; Flowstead does not price tokens."""
    return {
        "prompt_tokens": prompt_tokens,
        "prompt_unit_price": "0",
        "prompt_price_unit": "0",
        "prompt_price": "0",
        "completion_tokens": completion_tokens,
        "completion_unit_price": "0",
        "completion_price_unit": "0",
        "completion_price": "0",
        "total_tokens": total_tokens,
        "total_price": "0",
        "currency": "USD",
        "latency": 0.0,
    }


def answer_of(run: Run) -> str:
    answer = (run.outputs or {}).get("answer", "")
    return answer if isinstance(answer, str) else str(answer)


def blocking_chat(run: Run) -> dict[str, Any]:
    return {
        "event": "message",
        "task_id": run.id,
        "id": run.id,
        "message_id": run.id,
        "conversation_id": run.conversation_id,
        "mode": "advanced-chat",
        "answer": answer_of(run),
        "metadata": {"usage": usage(run.total_tokens), "retriever_resources": []},
        "created_at": int(run.created_at),
    }


def conversation(item: Conversation) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "inputs": item.inputs,
        "status": "normal",
        "introduction": "",
        "created_at": int(item.created_at),
        "updated_at": int(item.updated_at),
    }


def message(
    item: Message, feedback: Feedback | None = None, *, files_url: str = ""
) -> dict[str, Any]:
    """An item of `GET /v1/messages`; `feedback` is the user's rating of the answer,
    `files_url` where `/v1/files` is served (its uploads' `url`s are under it)."""
    files = [message_file(item, n, file, files_url) for n, file in enumerate(item.files)]
    return {
        "id": item.run_id or item.id,
        "conversation_id": item.conversation_id,
        "parent_message_id": None,
        "inputs": item.inputs,
        "query": item.query,
        "answer": item.answer,
        "message_files": files,
        "feedback": None if feedback is None else {"rating": feedback.rating},
        "retriever_resources": [],
        "agent_thoughts": [],
        "created_at": int(item.created_at),
        "status": "normal",
        "error": None,
    }


def message_file(
    item: Message, position: int, file: dict[str, Any], files_url: str
) -> dict[str, Any]:
    """Dify's `MessageFile` for one of a turn's files, sent by the user. An upload is
    named by its id and fetched from `GET /v1/files/{id}/preview` with the app key; a
    remote file's `url` is its own, and its `id` is made from the message and its place."""
    upload_id = file.get("id") if isinstance(file.get("id"), str) else None
    key = item.run_id or item.id
    size = file.get("size")
    return {
        "id": upload_id
        or str(uuid.uuid5(uuid.NAMESPACE_URL, f"flowstead:message-file/{key}/{position}")),
        "filename": str(file.get("name") or ""),
        "type": str(file.get("type") or "custom"),
        "url": f"{files_url}/{upload_id}/preview" if upload_id else file.get("url"),
        "mime_type": file.get("mime_type") or None,
        "size": size if isinstance(size, int) else None,
        "transfer_method": file.get("transfer_method")
        or ("local_file" if upload_id else "remote_url"),
        "belongs_to": "user",
        "upload_file_id": upload_id,
    }


def end_user_id(workflow_id: str, user: str) -> str:
    """A stable id for an app's end user: Dify names end users by id, Flowstead by `user`."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"flowstead:end-user/{workflow_id}/{user}"))


def end_user(workflow_id: str, user: str) -> dict[str, Any]:
    """Dify's `SimpleEndUser`: the `user` a client gives is its `session_id`."""
    return {
        "id": end_user_id(workflow_id, user),
        "type": "service_api",
        "is_anonymous": not user,
        "session_id": user,
    }


def log_entry(run: Run, exceptions: int = 0) -> dict[str, Any]:
    """An item of `GET /v1/workflows/logs`: one per run, so its id is the run's."""
    return {
        "id": run.id,
        "workflow_run": {
            "id": run.id,
            "version": "draft" if run.version is None else str(run.version),
            "status": status(run),
            "triggered_from": "app-run",
            "error": run.error,
            "elapsed_time": run.elapsed or 0.0,
            "total_tokens": run.total_tokens,
            "total_steps": run.total_steps,
            "created_at": int(run.created_at),
            "finished_at": _seconds(run.finished_at),
            "exceptions_count": exceptions,
        },
        "details": None,
        "created_from": "service-api" if run.source == "api" else "web-app",
        "created_by_role": "end_user",
        "created_by_account": None,
        "created_by_end_user": end_user(run.workflow_id, run.user),
        "created_at": int(run.created_at),
    }


def _iso(moment: float) -> str:
    """Dify's feedback times: ISO 8601 in UTC without an offset."""
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None).isoformat()


def app_feedback(item: Feedback) -> dict[str, Any]:
    """An item of `GET /v1/app/feedbacks`; `message_id` is the id clients know it by."""
    return {
        "id": item.id,
        "app_id": item.workflow_id,
        "conversation_id": item.conversation_id,
        "message_id": item.run_id or item.message_id,
        "rating": item.rating,
        "content": item.content,
        "from_source": "user",
        "from_end_user_id": end_user_id(item.workflow_id, item.user),
        "from_account_id": None,
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
    }


def conversation_variable(item: ConversationVariable) -> dict[str, Any]:
    """Dify's conversation variable: its `value` is text (JSON text unless a string or
    null)."""
    value = item.value
    if value is not None and not isinstance(value, str):
        value = msgspec.json.encode(value).decode()
    return {
        "id": item.id,
        "name": item.name,
        "value_type": item.value_type,
        "value": value,
        "description": item.description,
        "created_at": int(item.created_at),
        "updated_at": int(item.updated_at),
    }


def error_event(message: str, code: str = "invalid_param", status: int = 400) -> dict[str, Any]:
    return {"event": "error", "code": code, "message": message, "status": status}


class StreamShaper:
    """Turns one run's stored events into Dify stream events, in order.

    Workflow mode yields `workflow_started`, `node_started`, `text_chunk`, `node_finished`,
    `workflow_finished` (iteration and loop events too); chat mode wraps every event with
    the conversation and message ids, sends answer text as `message` events, and ends with
    `message_end`. A failed run ends with an `error` event after `workflow_finished`.

    In chat mode only the Answer nodes' text is the answer (`answer_nodes`); an LLM node's
    own stream is not repeated."""

    def __init__(self, run: Run, answer_nodes: frozenset[str] = frozenset()) -> None:
        self.run = run
        self.chat = run.mode == "chat"
        self.answer_nodes = answer_nodes
        self._index = 0
        self._indexes: dict[tuple[str, int | None], int] = {}
        self.finished = False

    def _envelope(self, event: str, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"event": event, "task_id": self.run.id}
        if self.chat:
            body |= {
                "conversation_id": self.run.conversation_id,
                "message_id": self.run.id,
                "created_at": int(self.run.created_at),
            }
        return body | fields

    def _workflow_event(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        return self._envelope(event, workflow_run_id=self.run.id, data=data)

    def shape(self, event: RunEvent) -> list[dict[str, Any]]:
        handler = getattr(self, f"_on_{event.type}", None)
        return [] if handler is None else handler(event.data, int(event.created_at), event.seq)

    def _on_run_started(self, data: dict[str, Any], at: int, seq: int) -> list[dict[str, Any]]:
        inputs = {k: v for k, v in data.get("inputs", {}).items() if not k.startswith("sys.")}
        return [
            self._workflow_event(
                "workflow_started",
                {
                    "id": self.run.id,
                    "workflow_id": self.run.workflow_id,
                    "sequence_number": seq,
                    "inputs": inputs,
                    "created_at": int(self.run.created_at),
                },
            )
        ]

    def _node_base(self, data: dict[str, Any], at: int) -> dict[str, Any]:
        node_id = data.get("node_id", "")
        place = data.get("iteration_index", data.get("loop_index"))
        key = (node_id, place)
        if key not in self._indexes:
            self._index += 1
            self._indexes[key] = self._index
        return {
            "id": node_execution_id(self.run.id, node_id, place),
            "node_id": node_id,
            "node_type": data.get("node_type", ""),
            "title": data.get("title", ""),
            "index": self._indexes[key],
            "predecessor_node_id": None,
            "iteration_id": data.get("iteration_id"),
            "loop_id": data.get("loop_id"),
            "created_at": at,
            "extras": {},
        }

    def _on_node_started(self, data: dict[str, Any], at: int, seq: int) -> list[dict[str, Any]]:
        return [self._workflow_event("node_started", self._node_base(data, at) | {"inputs": None})]

    def _on_node_finished(self, data: dict[str, Any], at: int, seq: int) -> list[dict[str, Any]]:
        elapsed = float(data.get("elapsed", 0.0))
        tokens = data.get("usage") or {}
        total = int(tokens.get("prompt_tokens", 0)) + int(tokens.get("completion_tokens", 0))
        body = self._node_base(data, at) | {
            "inputs": data.get("inputs") or {},
            "process_data": data.get("process_data") or {},
            "outputs": data.get("outputs") or {},
            "status": data.get("status", "succeeded"),
            "error": data.get("error"),
            "elapsed_time": elapsed,
            "execution_metadata": {"total_tokens": total} if total else None,
            "created_at": int(at - elapsed),
            "finished_at": at,
            "files": [],
        }
        return [self._workflow_event("node_finished", body)]

    def _on_node_retry(self, data: dict[str, Any], at: int, seq: int) -> list[dict[str, Any]]:
        body = self._node_base(data, at) | {
            "error": data.get("error"),
            "retry_index": data.get("attempt", 1),
        }
        return [self._workflow_event("node_retry", body)]

    def _on_text_chunk(self, data: dict[str, Any], at: int, seq: int) -> list[dict[str, Any]]:
        text = data.get("text", "")
        if self.chat:
            if data.get("node_id") not in self.answer_nodes:
                return []
            return [self._envelope("message", id=self.run.id, answer=text)]
        selector = [data.get("node_id", ""), "text"]
        return [
            self._envelope(
                "text_chunk",
                workflow_run_id=self.run.id,
                data={"text": text, "from_variable_selector": selector},
            )
        ]

    def _container(
        self, event: str, data: dict[str, Any], at: int, **extra: Any
    ) -> list[dict[str, Any]]:
        node_id = data.get("node_id", "")
        body = {
            "id": node_execution_id(self.run.id, node_id, None),
            "node_id": node_id,
            "created_at": at,
            "extras": {},
            **extra,
        }
        return [self._workflow_event(event, body)]

    def _on_iteration_started(self, data: dict[str, Any], at: int, seq: int) -> list[Any]:
        return self._container(
            "iteration_started", data, at, metadata={"iterator_length": data.get("length", 0)}
        )

    def _on_iteration_next(self, data: dict[str, Any], at: int, seq: int) -> list[Any]:
        return self._container("iteration_next", data, at, index=data.get("index", 0))

    def _on_iteration_completed(self, data: dict[str, Any], at: int, seq: int) -> list[Any]:
        return self._container(
            "iteration_completed",
            data,
            at,
            outputs=data.get("outputs") or {},
            status=data.get("status"),
            error=data.get("error"),
        )

    def _on_loop_started(self, data: dict[str, Any], at: int, seq: int) -> list[Any]:
        return self._container("loop_started", data, at, inputs=data.get("variables") or {})

    def _on_loop_next(self, data: dict[str, Any], at: int, seq: int) -> list[Any]:
        return self._container("loop_next", data, at, index=data.get("index", 0))

    def _on_loop_completed(self, data: dict[str, Any], at: int, seq: int) -> list[Any]:
        return self._container(
            "loop_completed",
            data,
            at,
            outputs=data.get("outputs") or {},
            status=data.get("status"),
            error=data.get("error"),
        )

    def _on_run_finished(self, data: dict[str, Any], at: int, seq: int) -> list[dict[str, Any]]:
        self.finished = True
        run_status = data.get("status", "failed")
        elapsed = float(data.get("elapsed", 0.0))
        finished = self._workflow_event(
            "workflow_finished",
            {
                "id": self.run.id,
                "workflow_id": self.run.workflow_id,
                "sequence_number": seq,
                "status": DIFY_STATUS.get(run_status, run_status),
                "outputs": data.get("outputs") or {},
                "error": data.get("error"),
                "elapsed_time": elapsed,
                "total_tokens": data.get("total_tokens", 0),
                "total_steps": data.get("total_steps", 0),
                "created_by": {},
                "created_at": int(self.run.created_at),
                "finished_at": at,
                "files": [],
            },
        )
        out = [finished]
        if self.chat and run_status != "failed":
            metadata = {"usage": usage(data.get("total_tokens", 0)), "retriever_resources": []}
            out.append(self._envelope("message_end", id=self.run.id, metadata=metadata, files=[]))
        if run_status == "failed":
            out.append(self.failure(f"Run failed: {data.get('error') or 'unknown error'}"))
        return out

    def failure(self, message: str) -> dict[str, Any]:
        """An `error` event (a stream that cannot go on still answers HTTP 200)."""
        body = self._envelope("error") | error_event(message)
        if not self.chat:
            body["workflow_run_id"] = self.run.id
        return body


FORM_TYPES: Final = {
    "text": "text-input",
    "paragraph": "paragraph",
    "select": "select",
    "number": "number",
    "checkbox": "checkbox",
    "json": "json_object",
    "file": "file",
    "files": "file-list",
}
FILE_NUMBER_LIMIT: Final = 3


def user_input_form(inputs: list[StartInput]) -> list[dict[str, Any]]:
    """Dify's `user_input_form`: one `{type: {…}}` item per Start input."""
    form = []
    for item in inputs:
        kind = FORM_TYPES[item.type]
        control: dict[str, Any] = {
            "variable": item.name,
            "label": item.label or item.name,
            "type": kind,
            "required": item.required,
            "default": "" if item.default is None else item.default,
            "options": list(item.options),
            "max_length": item.max_length,
            "description": item.description,
        }
        if kind in ("file", "file-list"):
            control |= {
                "allowed_file_types": list(FILE_TYPES),
                "allowed_file_upload_methods": list(TRANSFER_METHODS),
            }
        form.append({kind: control})
    return form


def parameters(document: Document, max_upload_mb: int) -> dict[str, Any]:
    """`GET /v1/parameters` for the published document."""
    inputs = start_inputs(document)
    takes_files = any(i.type in ("file", "files") for i in inputs)
    off = {"enabled": False}
    return {
        "opening_statement": "",
        "suggested_questions": [],
        "suggested_questions_after_answer": off,
        "speech_to_text": off,
        "text_to_speech": off,
        "retriever_resource": off,
        "annotation_reply": off,
        "more_like_this": off,
        "user_input_form": user_input_form(inputs),
        "sensitive_word_avoidance": {"enabled": False, "type": "", "configs": []},
        "file_upload": {
            "enabled": takes_files,
            "image": {
                "enabled": takes_files,
                "number_limits": FILE_NUMBER_LIMIT,
                "detail": "high",
                "transfer_methods": list(TRANSFER_METHODS),
            },
            "allowed_file_upload_methods": list(TRANSFER_METHODS),
            "number_limits": FILE_NUMBER_LIMIT,
        },
        "system_parameters": {
            "file_size_limit": max_upload_mb,
            "image_file_size_limit": max_upload_mb,
            "audio_file_size_limit": max_upload_mb,
            "video_file_size_limit": max_upload_mb,
            "workflow_file_upload_limit": FILE_NUMBER_LIMIT,
        },
    }


def info(workflow: Workflow, mode: str) -> dict[str, Any]:
    """`GET /v1/info`."""
    return {
        "name": workflow.name,
        "description": workflow.description,
        "tags": [],
        "mode": DIFY_MODE.get(mode, mode),
        "author_name": "",
    }

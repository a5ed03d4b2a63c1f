"""Run a corpus file end to end: import it into a store, configure every provider the import
report asks for as the fake OpenAI server, generate inputs for its Start node, and run the
draft through the engine with the worker's collaborators (provider router, real code
sandbox, uploads under the data dir), the fake web for HTTP nodes, and fake SearXNG and
Wikipedia servers for the search tools."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from flowstead.dsl.document import Document
from flowstead.dsl.document import from_data as document_from_data
from flowstead.engine.engine import CompiledWorkflow, WorkflowInvalid
from flowstead.engine.events import Event, NodeFinished, RunFinished
from flowstead.engine.limits import Limits
from flowstead.engine.node import RunInfo
from flowstead.engine.ports import ChatMessage
from flowstead.engine.tools import ToolSettings
from flowstead.services import dify_import, providers, workflows
from flowstead.services.collaborators import open_collaborators
from flowstead.services.files import upload_path
from flowstead.store import open_store
from tests.fakes import FakeToolCall, RecordedRequest, Reply
from tests.fakes.mediawiki import FakeMediaWiki
from tests.fakes.models import FakeModelServer
from tests.fakes.script import Rule
from tests.fakes.searxng import FakeSearXNG
from tests.integration.dify.web import FakeWeb, LoopbackHttp, Page

Status = Literal["succeeded", "partial_succeeded", "failed", "refused"]
MIB = 1024 * 1024
# Bounds a run that went wrong; none is near them.
LIMITS = Limits(max_steps=400, max_time=120.0, node_timeout=60.0)


@dataclass(frozen=True)
class SampleFile:
    """What a file input of the Start node holds: a small upload under the data dir."""

    name: str = "notes.txt"
    mime_type: str = "text/plain"
    content: bytes = b"Flowstead sample document.\nQuarterly revenue: 42.\n"

    @property
    def kind(self) -> str:
        return "image" if self.mime_type.startswith("image/") else "document"


# A 1x1 transparent PNG.
PNG = SampleFile(
    "formula.png",
    "image/png",
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000005000127e8a1f10000000049454e44ae426082"
    ),
)


@dataclass(frozen=True)
class Scenario:
    """How one corpus file is run and what the run must end with.

    `answers` are (regex over the request's messages, the model's text), tried in order
    before the generic rule; `pages` are what the fake web serves (by `<host>/<path>`
    prefix); `inputs` replace generated Start inputs (None leaves one out)."""

    status: Status
    why: str
    error: str = ""
    # Nodes the run must have finished (the path it should take).
    reaches: Sequence[str] = ()
    # Nodes of a run that succeeds which fail all the same (their container drops them):
    # node id -> a part of the error.
    failing: Mapping[str, str] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)
    query: str = "What should I read next?"
    # Chat files (`sys.files`): the sample file, attached to the message.
    attach_files: bool = False
    # Chat: which turn of the conversation this run is (earlier ones become the history),
    # and the conversation variables the earlier turns left.
    turn: int = 1
    conversation: Mapping[str, Any] = field(default_factory=dict)
    answers: Sequence[tuple[str, str]] = ()
    pages: Mapping[str, Page] = field(default_factory=dict)
    file: SampleFile = SampleFile()


@dataclass
class Outcome:
    status: Status
    error: str | None
    # Node ids in the order they finished (inside containers too, once per round).
    finished: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    # The models the import report asked to configure (on the fake server here).
    models: set[str] = field(default_factory=set)


def model_rule(scenario: Scenario) -> Rule:
    """The fake model's rule: the scenario's answers, else valid JSON where the node asks for
    it (a tool call when a tool is offered, a value of the schema, a classifier's class),
    else plain text."""

    def rule(request: RecordedRequest) -> Reply:
        body = request.json
        said = "\n".join(_text(m.get("content")) for m in body.get("messages", []))
        for pattern, text in scenario.answers:
            if re.search(pattern, said):
                return Reply(text=text)
        if tools := body.get("tools"):
            function = tools[0]["function"]
            return Reply(
                tool_calls=[FakeToolCall(function["name"], sample(function["parameters"]))]
            )
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            return Reply(text=json.dumps(sample(response_format["json_schema"]["schema"])))
        if classes := re.search(r"Categories \(JSON\):\n(\[.*?\])\n", said):
            return Reply(text=json.dumps({"class_id": json.loads(classes.group(1))[0]["class_id"]}))
        if schema := re.search(r"following this JSON Schema:\n(\{.*\})\nLeave out", said, re.S):
            return Reply(text=json.dumps(sample(json.loads(schema.group(1))), ensure_ascii=False))
        return Reply(text="A fake answer from the model.")

    return rule


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def sample(schema: Mapping[str, Any]) -> Any:
    """A value that matches a (simple) JSON Schema."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "string")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return {name: sample(prop) for name, prop in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [sample(schema.get("items") or {})]
    return {"number": 1, "integer": 1, "boolean": True, "null": None}.get(kind, "sample")


def start_inputs(document: Document, scenario: Scenario, data_dir: Path) -> dict[str, Any]:
    """A value for every input the Start node declares, from its type (a file input gets
    the scenario's sample file), then the scenario's own."""
    start = next((node for node in document.nodes if node.type == "start"), None)
    values: dict[str, Any] = {}
    for spec in start.config.get("inputs", []) if start else []:
        kind, options = spec.get("type", "text"), spec.get("options") or []
        if kind in ("text", "paragraph"):
            values[spec["name"]] = "Flowstead"[: spec.get("max_length") or None]
        elif kind == "select":
            values[spec["name"]] = options[0]
        elif kind == "number":
            values[spec["name"]] = 1
        elif kind == "checkbox":
            values[spec["name"]] = True
        elif kind == "json":
            values[spec["name"]] = {}
        elif kind in ("file", "files"):
            file = _upload(scenario.file, data_dir)
            values[spec["name"]] = file if kind == "file" else [file]
    values.update(scenario.inputs)
    return {name: value for name, value in values.items() if value is not None}


def _upload(sample_file: SampleFile, data_dir: Path) -> dict[str, Any]:
    file_id = "sample-" + sample_file.name.replace(".", "-")
    path = upload_path(data_dir, file_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sample_file.content)
    return {
        "id": file_id,
        "name": sample_file.name,
        "mime_type": sample_file.mime_type,
        "size": len(sample_file.content),
        "type": sample_file.kind,
        "extension": "." + sample_file.name.rsplit(".", 1)[-1],
        "transfer_method": "local_file",
    }


@dataclass(frozen=True)
class Servers:
    """The fake services a corpus run reaches."""

    model: FakeModelServer
    web: FakeWeb
    searxng: FakeSearXNG
    wikipedia: FakeMediaWiki


async def run_corpus_file(
    path: Path, scenario: Scenario, servers: Servers, data_dir: Path
) -> Outcome:
    model, web = servers.model, servers.web
    model.rule = model_rule(scenario)
    web.pages = scenario.pages
    async with await open_store("sqlite:///flowstead.db", data_dir) as store:
        imported = await dify_import.import_workflow(
            store, await asyncio.to_thread(path.read_bytes)
        )
        assert imported.workflow is not None
        for provider in imported.needs.providers:
            await providers.put(
                store, provider, kind="openai", base_url=model.base_url, api_key="sk-fake"
            )
        draft = await workflows.get(store, imported.workflow.id)
        document = document_from_data(draft.workflow.document)
        models = {name for names in imported.needs.providers.values() for name in names}
        try:
            compiled = CompiledWorkflow.compile(document)
        except WorkflowInvalid as exc:
            return Outcome("refused", str(exc), models=models)
        inputs = start_inputs(document, scenario, data_dir)
        files = [_upload(scenario.file, data_dir)] if scenario.attach_files else []
        async with open_collaborators(store, data_dir, max_file_bytes=MIB) as real:
            searxng, wikipedia = servers.searxng.url, servers.wikipedia.url
            collaborators = dataclasses.replace(
                real,
                http=LoopbackHttp(real.http, web.url, direct=(searxng, wikipedia)),
                tool_settings=ToolSettings(searxng, wikipedia + "/{lang}/w/api.php"),
            )
            info = RunInfo(
                run_id="run-1", workflow_id=draft.workflow.id, mode=document.mode, user="tester"
            )
            history = [
                ChatMessage(role, f"{role} turn {number}")
                for number in range(1, scenario.turn)
                for role in ("user", "assistant")
            ]
            stream = compiled.run(
                inputs,
                info,
                collaborators,
                conversation=scenario.conversation,
                history=history,
                files=files,
                query=scenario.query,
                limits=LIMITS,
            )
            return _outcome([event async for event in stream], models)


def _outcome(events: list[Event], models: set[str]) -> Outcome:
    finished = events[-1]
    assert isinstance(finished, RunFinished), finished
    outcome = Outcome(finished.status, finished.error, outputs=finished.outputs, models=models)
    for event in events:
        if isinstance(event, NodeFinished):
            outcome.finished.append(event.node_id)
            if event.error is not None:
                outcome.failed[event.node_id] = event.error
    return outcome

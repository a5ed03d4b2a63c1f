"""The node mapping table: each Dify node type, its Flowstead type and converters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import msgspec

from flowstead.dsl.dify.context import ExportContext, ImportContext
from flowstead.dsl.dify.nodes import agent, containers, http, io, llm, logic, tools, transform


class Importer(NamedTuple):
    type: str
    convert: Callable[[Mapping[str, Any], ImportContext], msgspec.Struct]
    # The start of readable ids for nodes of this type (`llm`, `llm_2`…).
    base: str


class Exporter(NamedTuple):
    type: str
    convert: Callable[[Any, ExportContext], dict[str, Any]]


IMPORTERS: dict[str, Importer] = {
    "start": Importer("start", io.import_start, "start"),
    "end": Importer("end", io.import_end, "end"),
    "answer": Importer("answer", io.import_answer, "answer"),
    "llm": Importer("llm", llm.import_llm, "llm"),
    "question-classifier": Importer(
        "question_classifier", llm.import_question_classifier, "classifier"
    ),
    "parameter-extractor": Importer(
        "parameter_extractor", llm.import_parameter_extractor, "extractor"
    ),
    "if-else": Importer("if_else", logic.import_if_else, "if_else"),
    "code": Importer("code", transform.import_code, "code"),
    "template-transform": Importer("template", transform.import_template, "template"),
    "variable-aggregator": Importer(
        "variable_aggregator", transform.import_variable_aggregator, "aggregator"
    ),
    # Early Dify versions called the aggregator "variable-assigner".
    "variable-assigner": Importer(
        "variable_aggregator", transform.import_variable_aggregator, "aggregator"
    ),
    "assigner": Importer("variable_assigner", transform.import_assigner, "assigner"),
    "list-operator": Importer("list_operator", transform.import_list_operator, "list_operator"),
    "document-extractor": Importer(
        "document_extractor", transform.import_document_extractor, "document_extractor"
    ),
    "http-request": Importer("http", http.import_http, "http"),
    "iteration": Importer("iteration", containers.import_iteration, "iteration"),
    "loop": Importer("loop", containers.import_loop, "loop"),
    "tool": Importer("tool", tools.import_tool, "tool"),
    "agent": Importer("agent", agent.import_agent, "agent"),
    "knowledge-retrieval": Importer(
        "knowledge_retrieval", tools.import_knowledge_retrieval, "retrieval"
    ),
}

EXPORTERS: dict[str, Exporter] = {
    "start": Exporter("start", io.export_start),
    "end": Exporter("end", io.export_end),
    "answer": Exporter("answer", io.export_answer),
    "llm": Exporter("llm", llm.export_llm),
    "question_classifier": Exporter("question-classifier", llm.export_question_classifier),
    "parameter_extractor": Exporter("parameter-extractor", llm.export_parameter_extractor),
    "if_else": Exporter("if-else", logic.export_if_else),
    "code": Exporter("code", transform.export_code),
    "template": Exporter("template-transform", transform.export_template),
    "variable_aggregator": Exporter("variable-aggregator", transform.export_variable_aggregator),
    "variable_assigner": Exporter("assigner", transform.export_assigner),
    "list_operator": Exporter("list-operator", transform.export_list_operator),
    "document_extractor": Exporter("document-extractor", transform.export_document_extractor),
    "http": Exporter("http-request", http.export_http),
    "iteration": Exporter("iteration", containers.export_iteration),
    "loop": Exporter("loop", containers.export_loop),
    "tool": Exporter("tool", tools.export_tool),
    "agent": Exporter("agent", agent.export_agent),
    "knowledge_retrieval": Exporter("knowledge-retrieval", tools.export_knowledge_retrieval),
}

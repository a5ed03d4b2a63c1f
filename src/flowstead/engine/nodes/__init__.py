"""The node registry: every node type, by its `type` name."""

from __future__ import annotations

from flowstead.engine.node import NodeSpec
from flowstead.engine.nodes import (
    agent,
    answer,
    code,
    document_extractor,
    end,
    http,
    if_else,
    iteration,
    knowledge_retrieval,
    list_operator,
    llm,
    loop,
    parameter_extractor,
    question_classifier,
    start,
    template,
    tool,
    variable_aggregator,
    variable_assigner,
)

_MODULES = (
    start,
    end,
    answer,
    llm,
    template,
    code,
    http,
    if_else,
    question_classifier,
    parameter_extractor,
    variable_aggregator,
    variable_assigner,
    iteration,
    loop,
    list_operator,
    document_extractor,
    knowledge_retrieval,
    tool,
    agent,
)

REGISTRY: dict[str, NodeSpec] = {m.SPEC.type: m.SPEC for m in _MODULES}

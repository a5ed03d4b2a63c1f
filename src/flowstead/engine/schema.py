"""The published JSON Schema of the workflow document, with each node type's config."""

from __future__ import annotations

from typing import Any

import msgspec

from flowstead.dsl.document import Document
from flowstead.engine.nodes import REGISTRY

SCHEMA_ID = "https://flowstead.dev/schema/workflow-v1.json"


def workflow_schema() -> dict[str, Any]:
    """Draft 2020-12 schema: the document, and per node `type` the shape of its `config`."""
    configs = [spec.config for spec in REGISTRY.values()]
    (document_ref, *config_refs), components = msgspec.json.schema_components(
        [Document, *configs], ref_template="#/$defs/{name}"
    )
    node = components["Node"]
    node["properties"]["type"] = {"enum": sorted(REGISTRY)}
    node["allOf"] = [
        {
            "if": {"properties": {"type": {"const": node_type}}},
            "then": {"properties": {"config": ref}},
        }
        for node_type, ref in zip(REGISTRY, config_refs, strict=True)
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Flowstead workflow document, format version 1",
        **document_ref,
        "$defs": components,
    }

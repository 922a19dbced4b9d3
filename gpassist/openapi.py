"""The OpenAPI 3.1 document, generated from the same pydantic models that validate requests."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gpassist.endpoints import JSON, REGISTRY, Operation

_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "retry_after_seconds": {"type": "integer"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message", "code"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
}

_ERROR_TEXT = {
    400: "Malformed request",
    401: "Missing, unknown, expired or revoked token",
    403: "The caller's role may not do this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state",
    415: "Body is not JSON",
    422: "Validation failed; errors carry the field paths",
    429: "Too many failed attempts",
}

_PATH_SCHEMAS = {
    "id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
    "code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
}


def build_openapi(title: str, version: str) -> dict[str, Any]:
    ops = REGISTRY.operations
    components = _component_schemas(ops)
    components["Problem"] = _PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        path = _PARAM.sub(r"{\1}", op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "gpassist API. Errors are RFC 9457 problem details.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _component_schemas(ops: list[Operation]) -> dict[str, Any]:
    entries: list[tuple[type[BaseModel], str]] = []
    for op in ops:
        if op.body is not None:
            entries.append((op.body, "validation"))
        if op.response is not None:
            entries.append((op.response, "serialization"))
    _, top = models_json_schema(entries, ref_template=_REF)  # type: ignore[arg-type]
    return dict(top.get("$defs", {}))


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.endpoint.replace(".", "_"),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _path_parameters(op) + _query_parameters(op, components),
        "responses": _responses(op),
    }
    if op.roles is not None:
        doc["description"] = "Roles: " + ", ".join(sorted(op.roles))
    doc["security"] = [] if op.public else [{"bearer": []}]
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model=op.body.__name__)}}
            },
        }
    return doc


def _path_parameters(op: Operation) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": _PATH_SCHEMAS[conv]}
        for name, conv in op.path_params.items()
    ]


def _query_parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    schema = op.query.model_json_schema(ref_template=_REF)
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _responses(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.status == 204:
        responses["204"] = {"description": "Done"}
    else:
        if op.media_type != JSON:
            schema: dict[str, Any] = {"type": "string", "format": "binary"}
        else:
            schema = {"$ref": _REF.format(model=op.response.__name__)} if op.response else {}
        responses[str(op.status)] = {
            "description": "Success",
            "content": {op.media_type: {"schema": schema}},
        }
    codes = set(op.errors) | {400}
    if op.body is not None or op.query is not None:
        codes |= {422}
    if op.body is not None:
        codes |= {415}
    if not op.public:
        codes |= {401}
    if op.roles is not None:
        codes |= {403}
    if op.path_params:
        codes |= {404}
    for code in sorted(codes):
        responses[str(code)] = {
            "description": _ERROR_TEXT.get(code, "Error"),
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    return responses

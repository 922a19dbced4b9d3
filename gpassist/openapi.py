"""The OpenAPI 3.1 document, generated from the same pydantic models that validate requests."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gpassist.endpoints import JSON, REGISTRY, Operation

_REF = "#/components/schemas/{model}"
_REF_NAME = re.compile(r'"#/components/schemas/([^"]+)"')
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
    403: "The caller's role may not do this (or a page's call lacks its CSRF token)",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state",
    415: "Body is not JSON",
    422: "Validation failed; errors carry the field paths",
    429: "Too many attempts: the account is locked or the address is over its login rate limit",
}

_PATH_SCHEMAS = {
    "id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
    "code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
}


def build_openapi(title: str, version: str) -> dict[str, Any]:
    """The document for every registered operation.

    All models go through ONE ``models_json_schema`` call, so two models that share a class name
    (``SuggestIn`` of diagnosis and of TCM) get distinct component names and every ``$ref``
    points at the name pydantic actually emitted.
    """
    ops = REGISTRY.operations
    refs, components = _component_schemas(ops)
    components["Problem"] = _PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        path = _PARAM.sub(r"{\1}", op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, refs, components)
    # Query models are spread into parameters; drop their own components unless a body or a
    # response refers to them as well.
    used = set(_REF_NAME.findall(json.dumps([paths, components])))
    for model in {op.query for op in ops if op.query is not None}:
        name = refs[model, "validation"]["$ref"].rsplit("/", 1)[-1]
        if name not in used:
            components.pop(name, None)
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


_Refs = dict[tuple[type[BaseModel], str], dict[str, Any]]


def _component_schemas(ops: list[Operation]) -> tuple[_Refs, dict[str, Any]]:
    entries: set[tuple[type[BaseModel], str]] = set()
    for op in ops:
        if op.body is not None:
            entries.add((op.body, "validation"))
        if op.query is not None:
            entries.add((op.query, "validation"))
        if op.response is not None:
            entries.add((op.response, "serialization"))
    # Sorted so that the names chosen for clashing models do not depend on import order.
    ordered = sorted(entries, key=lambda e: (e[0].__module__, e[0].__qualname__, e[1]))
    refs, top = models_json_schema(ordered, ref_template=_REF)  # type: ignore[arg-type]
    return refs, dict(top.get("$defs", {}))


def _operation(op: Operation, refs: _Refs, components: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.endpoint.replace(".", "_"),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _path_parameters(op) + _query_parameters(op, refs, components),
        "responses": _responses(op, refs),
    }
    if op.roles is not None:
        doc["description"] = "Roles: " + ", ".join(sorted(op.roles))
    doc["security"] = [] if op.public else [{"bearer": []}]
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[op.body, "validation"]}},
        }
    return doc


def _path_parameters(op: Operation) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": _PATH_SCHEMAS[conv]}
        for name, conv in op.path_params.items()
    ]


def _query_parameters(
    op: Operation, refs: _Refs, components: dict[str, Any]
) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    component = refs[op.query, "validation"]["$ref"].rsplit("/", 1)[-1]
    schema = components[component]
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _responses(op: Operation, refs: _Refs) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.status == 204:
        responses["204"] = {"description": "Done"}
    elif op.answers_json:
        schema = refs[op.response, "serialization"] if op.response else {}
        responses[str(op.status)] = {
            "description": "Success",
            "content": {JSON: {"schema": schema}},
        }
    else:
        binary = {"type": "string", "format": "binary"}
        responses[str(op.status)] = {
            "description": "Success",
            "content": {media_type: {"schema": binary} for media_type in op.media_types},
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

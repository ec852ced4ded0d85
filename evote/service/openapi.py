"""The OpenAPI document's hand-written parts: problem documents, the cast's body, statuses,
the result (the record's own schema).

The routes answer with raw JSON bytes (no response models on the hot path), so the shapes
of the answers are described here for the document served at ``/openapi.json`` and kept as
docs/openapi.json (``evote serve --print-openapi`` writes it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from evote.record.schemas import json_schemas

DESCRIPTION: Final = (
    "The HTTP API of evote's bulletin board: voters' devices cast ballots and look up"
    " tracking codes, portals read elections' state and counts, auditors download the record"
    " (docs/service.md). Every error is an RFC 9457 problem document."
)

PROBLEM_SCHEMA: Final = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "error"],
    "properties": {
        "type": {"type": "string", "format": "uri",
                 "example": "https://evote.example/problems/election-not-open"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what is wrong and where"},
        "error": {"type": "string", "description": "the exception class, e.g. InvalidBallot"},
    },
}  # fmt: skip

_DESCRIPTIONS: Final = {
    200: "OK (for a cast: the ballot was on the board already; the same receipt)",
    201: "The ballot is on the board: the board's signed receipt",
    400: "Invalid input: a malformed ballot, proof, signature, credential or tracking code",
    401: "No valid portal API key",
    403: "The portal may not read this election",
    404: "Unknown election, tracking code or document",
    409: "The election is not in the phase this needs, or the board's rules refuse the ballot",
    413: "The request body is larger than the service accepts",
    415: "The request body is not application/json",
    429: "Rate limited: retry after the seconds in Retry-After",
    503: "The board's storage is unavailable, or the service cannot sign for this election",
}

CAST_BODY: Final = {
    "requestBody": {
        "required": True,
        "description": "The ballot's canonical JSON bytes, exactly as the voter's device"
        " serialised it (docs/spec.md 6.1): its hash is the tracking code.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}

AUDIT_BODY: Final = {
    "requestBody": {
        "required": True,
        "description": "Canonical JSON (docs/spec.md 6.1) of exactly {\"audit\", \"ballot\"}:"
        " the ballot's canonical bytes in base64 and the audit the device revealed (6.7),"
        " the payload of the spoiled board entry (10.3). Published only if the audit holds.",
        "content": {"application/json": {"schema": {"type": "object",
            "required": ["audit", "ballot"],
            "properties": {"audit": {"type": "object"}, "ballot": {"type": "string"}}}}},
    }
}  # fmt: skip


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: JSON for 2xx, a problem document for the others."""
    described: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        if code < 300:
            content = {"application/json": {"schema": {"type": "object"}}}
        else:
            content = {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}  # fmt: skip
        described[code] = {"description": _DESCRIPTIONS.get(code, "OK"), "content": content}
    return described


#: The route that answers the record's result.json, whose schema the document embeds.
RESULT_PATH: Final = "/api/v1/elections/{election_id}/result"
RESULT_SCHEMA_ID: Final = "urn:evote:record:1:result"


def result_schema() -> dict[str, Any]:
    """The record's result schema (``result.schema.json``), as an OpenAPI component.

    The result has one format (docs/record-format.md): the route answers the record's
    ``result.json``, so the document describes it with the record's own schema.
    """
    schema = dict(json_schemas()[RESULT_SCHEMA_ID])
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return schema


def builder(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: FastAPI's document with the Problem and Result schemas, built once."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                PROBLEM_SCHEMA
            )
            document["components"]["securitySchemes"] = {
                "portalKey": {"type": "http", "scheme": "bearer",
                              "description": "A portal's API key (docs/service.md)"},
            }  # fmt: skip
            for path, item in document["paths"].items():
                for operation in item.values():
                    # FastAPI's 422: the service answers a validation error with a 400 problem.
                    operation.get("responses", {}).pop("422", None)
                    if path.startswith("/api/v1/portal/"):
                        operation["security"] = [{"portalKey": []}]
            document["components"]["schemas"]["Result"] = result_schema()
            result_answer = document["paths"][RESULT_PATH]["get"]["responses"]["200"]
            result_answer["description"] = "The result: the record's result.json"
            result_answer["content"]["application/json"]["schema"] = {
                "$ref": "#/components/schemas/Result"
            }
            for unused in ("HTTPValidationError", "ValidationError"):
                document["components"]["schemas"].pop(unused, None)
            app.openapi_schema = document
        return app.openapi_schema

    return build

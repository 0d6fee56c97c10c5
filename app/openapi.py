"""The OpenAPI document as the API really answers: every error is {"error", "detail"} (422 adds "errors"),
not FastAPI's HTTPValidationError, and the token route documents the JSON and form bodies it reads itself."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "A code: NotFound, Forbidden, Conflict, TooManyRequests …"},
        "detail": {"type": "string", "description": "A message for people, in the Accept-Language asked for"},
        "field": {"type": "string", "description": "The field at fault, where there is one"},
    },
}
VALIDATION = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "enum": ["ValidationError", "Invalid", "ImportFailed"]},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"row": {"type": "integer"}, "field": {"type": ["string", "null"]}, "message": {"type": "string"}},
            },
        },
    },
}
CREDENTIALS = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string", "description": "Phone or member code", "maxLength": 120},
        "password": {"type": "string", "maxLength": 128},
    },
}


def _error(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def build(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["ErrorResponse"] = ERROR
    schemas["ValidationErrorResponse"] = VALIDATION
    schemas["Credentials"] = CREDENTIALS
    for path, operations in doc.get("paths", {}).items():
        for method, op in operations.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            responses["422"] = _error("ValidationErrorResponse", "The input cannot be used; `errors` lists each problem")
            responses.setdefault("4XX", _error("ErrorResponse", "Refused: the code and a message for people"))
            if path == "/api/v1/auth/token" and method == "post":
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Credentials"}},
                        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Credentials"}},
                    },
                }
    app.openapi_schema = doc
    return doc

"""The OpenAPI document as a contract: every status a route can answer, with its body.

What only a route knows (a 409, a 429, a 200 on a retry) it declares with ``answers``; what
holds for every route is added here to each operation: the edge's 413, 422 and 500, a 401
(and 403 with an API key) where credentials are required, a 404 where the path names an
object, and the X-Request-ID header on every answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from healthcert.api.errors import ErrorBody

_DESCRIPTIONS = {
    400: "The request cannot be read.",
    401: "No valid credentials (an API key in X-API-Key, or a holder's Bearer token).",
    403: "The API key's role may not do this.",
    404: "No such object, or not one the caller may see (the two are not told apart).",
    409: "The request contradicts the stored state.",
    410: "Gone: the object exists no longer in a form that may be served.",
    413: "The request body is larger than the limit.",
    422: "A field is wrong (errors names each), or text holds NUL or unpaired surrogates.",
    429: "Too many attempts: retry after Retry-After seconds.",
    500: "An unexpected failure: the body and X-Request-ID name the request to report.",
}
_REF = "#/components/schemas/"
_REQUEST_ID = {
    "description": "The request's id (the caller's own when sane); errors quote it too.",
    "schema": {"type": "string"},
}
_RETRY_AFTER = {
    "description": "Seconds until a new attempt may succeed.",
    "schema": {"type": "integer"},
}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses`` for error statuses, each with the one error body."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses
    }


def same_as_created(description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answered where the route's status is 201: the stored object, as on creation."""
    return {200: {"description": description}}


def media(*types: str) -> dict[int | str, dict[str, Any]]:
    """A 200 whose body is not JSON (images, PDF, PEM)."""
    content = {kind: {"schema": {"type": "string", "format": "binary"}} for kind in types}
    return {200: {"description": "The document.", "content": content}}


def json_body(
    schema: dict[str, Any], description: str, example: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A route's ``openapi_extra`` publishing the schema of a body the route validates itself
    (to name every wrong field at once, in its own words)."""
    media_type: dict[str, Any] = {"schema": _inline(schema)}
    if example is not None:
        media_type["example"] = example
    content = {"application/json": media_type}
    return {"requestBody": {"content": content, "required": True, "description": description}}


def _inline(schema: Any, definitions: dict[str, Any] | None = None) -> Any:
    """``schema`` with its local ``$defs`` written in place (the models are not recursive)."""
    if definitions is None and isinstance(schema, dict):
        definitions = schema.get("$defs", {})
    if isinstance(schema, dict):
        reference = schema.get("$ref", "")
        if reference.startswith("#/$defs/"):
            return _inline((definitions or {})[reference.removeprefix("#/$defs/")], definitions)
        return {k: _inline(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


def install(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _complete(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _complete(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template=_REF + "{model}")
    schemas.update(body.pop("$defs", {}))
    schemas["ErrorBody"] = body
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            _complete_operation(path, operation)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def _complete_operation(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for code in _common_statuses(path, operation):
        responses.setdefault(str(code), _error_response(code))
    # FastAPI's own 422 describes its default body, which errors.py replaces.
    responses["422"] = _error_response(422)
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers.setdefault("X-Request-ID", _REQUEST_ID)
        if status == "429":
            headers.setdefault("Retry-After", _RETRY_AFTER)


def _common_statuses(path: str, operation: dict[str, Any]) -> list[int]:
    statuses = [422, 500]
    if "requestBody" in operation:
        statuses += [400, 413]
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    if schemes:
        statuses.append(401)
    if "ApiKey" in schemes:
        statuses.append(403)
    if "{" in path:
        statuses.append(404)
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    schema = {"$ref": _REF + "ErrorBody"}
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": schema}},
    }

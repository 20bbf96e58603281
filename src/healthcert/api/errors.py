"""The service's refusals as HTTP answers: one place and one body shape, so every route answers
alike, and the OpenAPI document can say so.

Every error body is ``{"detail": <message>, "errors": [{"field", "message"}], "request_id"}``:
``errors`` names each wrong field (empty when no field is at fault). Nothing a client sent is
echoed back beyond a field's name, and every text is cut short and made encodable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from healthcert.service import errors

# Longer messages are cut: a message never needs more, and a long one quotes input.
MAX_MESSAGE = 200
_UNENCODABLE = re.compile("[\ud800-\udfff]")


class FieldProblem(BaseModel):
    field: str = Field(description="Where: a dotted path into the body, or query.<name>, ...")
    message: str
    codes: str | None = Field(
        default=None, description="A refused certificate's error codes, comma-separated."
    )


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx answer."""

    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)
    request_id: str | None = Field(
        default=None, description="Also in the X-Request-ID header; quote it when reporting."
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.Invalid, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(errors.NotFound, _status(404))
    app.add_exception_handler(errors.Conflict, _status(409))
    app.add_exception_handler(errors.Unauthorised, _status(401))
    app.add_exception_handler(errors.Forbidden, _status(403))
    app.add_exception_handler(errors.Unavailable, _status(503))
    app.add_exception_handler(errors.TooManyAttempts, _too_many)  # type: ignore[arg-type]
    app.add_exception_handler(errors.Revoked, _revoked)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]


def error_body(
    detail: str, problems: Sequence[dict[str, str]], request_id: str | None
) -> dict[str, Any]:
    return {
        "detail": printable(detail),
        "errors": [{key: printable(str(value)) for key, value in p.items()} for p in problems],
        "request_id": request_id,
    }


def printable(text: str) -> str:
    """``text`` cut to MAX_MESSAGE characters, unpaired surrogates replaced (else no UTF-8)."""
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return _UNENCODABLE.sub("\ufffd", text)


def answer(
    request: Request,
    status: int,
    detail: str,
    problems: Sequence[dict[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    body = error_body(detail, problems, request_id)
    return JSONResponse(body, status_code=status, headers=headers)


def _invalid(request: Request, error: errors.Invalid) -> JSONResponse:
    return answer(request, 422, "invalid request", error.problems)


def _status(code: int):  # type: ignore[no-untyped-def]
    def handler(request: Request, error: Exception) -> JSONResponse:
        return answer(request, code, str(error))

    return handler


def _too_many(request: Request, error: errors.TooManyAttempts) -> JSONResponse:
    return answer(request, 429, str(error), headers={"Retry-After": str(error.retry_after)})


def _http(request: Request, error: HTTPException) -> JSONResponse:
    return answer(request, error.status_code, str(error.detail), headers=error.headers)


def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
    return answer(request, 422, "invalid request", [_problem(p) for p in error.errors()])


def _problem(problem: dict[str, Any]) -> dict[str, str]:
    """Field and message only: pydantic's ``input`` would echo what was sent, however large."""
    location = [str(part) for part in problem.get("loc", ())]
    if location[:1] == ["body"]:
        location = location[1:]
    message = str(problem.get("msg", "invalid"))
    reason = (problem.get("ctx") or {}).get("error")
    if problem.get("type") == "json_invalid" and reason:
        message = f"{message}: {reason}"
    return {"field": ".".join(location) or "body", "message": message}


def _revoked(request: Request, error: errors.Revoked) -> JSONResponse:
    """410 Gone: the certificate existed and is withdrawn for good; the body says when, why."""
    request_id = getattr(request.state, "request_id", None)
    body = error_body(str(error), (), request_id) | {
        "revoked_at": error.revoked_at.isoformat(),
        "reason": error.reason,
    }
    return JSONResponse(body, status_code=410)

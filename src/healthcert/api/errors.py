"""The service's refusals as HTTP answers: one place, so every route answers alike."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from healthcert.service import errors


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.Invalid, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(errors.NotFound, _status(404))
    app.add_exception_handler(errors.Conflict, _status(409))
    app.add_exception_handler(errors.Unauthorised, _status(401))
    app.add_exception_handler(errors.Forbidden, _status(403))
    app.add_exception_handler(errors.Unavailable, _status(503))
    app.add_exception_handler(errors.TooManyAttempts, _too_many)  # type: ignore[arg-type]
    app.add_exception_handler(errors.Revoked, _revoked)  # type: ignore[arg-type]


def _invalid(_request: Request, error: errors.Invalid) -> JSONResponse:
    return JSONResponse({"detail": "invalid request", "errors": error.problems}, status_code=422)


def _status(code: int):  # type: ignore[no-untyped-def]
    def handler(_request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=code)

    return handler


def _too_many(_request: Request, error: errors.TooManyAttempts) -> JSONResponse:
    return JSONResponse(
        {"detail": str(error)},
        status_code=429,
        headers={"Retry-After": str(error.retry_after)},
    )


def _revoked(_request: Request, error: errors.Revoked) -> JSONResponse:
    """410 Gone: the certificate existed and is withdrawn for good; the body says why."""
    body = {
        "detail": str(error),
        "revoked_at": error.revoked_at.isoformat(),
        "reason": error.reason,
    }
    return JSONResponse(body, status_code=410)

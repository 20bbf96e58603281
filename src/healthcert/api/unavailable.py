"""The database away (restarting, failing over, unreachable) is a 503 the client may retry,
not a 500: the service itself is fine and answers again as soon as the database does (the
pool checks a connection before use and replaces a dead one)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger("healthcert.api")
RETRY_AFTER_SECONDS = 1


def install(app: FastAPI) -> None:
    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(InterfaceError, _unavailable)


def _unavailable(request: Request, error: Exception) -> JSONResponse:
    # The driver's message, not the statement: the parameters may name a person.
    reason = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0][:200]
    log.warning("database unavailable", extra={"path": request.url.path, "reason": reason})
    return JSONResponse(
        {"detail": "the database is unavailable: try again shortly"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )

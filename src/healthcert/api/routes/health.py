"""Liveness and readiness, for load balancers and orchestrators: no key needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from healthcert.api.auth import Service
from healthcert.database.migrate import current_revision, head_revision
from healthcert.service.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=None,
    responses={
        503: {
            "description": "Not ready: the database is unreachable or behind, or a border key "
            "file cannot be read."
        }
    },
)
def ready(ctx: Service) -> dict[str, Any] | JSONResponse:
    """The database answers and its schema is current, and the border keys that open sealed
    certificates are loaded."""
    try:
        revision = current_revision(ctx.engine)
    except Exception as error:  # any database failure means "not ready", with the reason
        return JSONResponse({"status": "unavailable", "reason": str(error)}, status_code=503)
    if revision != head_revision():
        body = {"status": "unavailable", "reason": f"schema at {revision}, not at head"}
        return JSONResponse(body, status_code=503)
    try:
        ctx.unseal_keys()
    except Unavailable as error:
        return JSONResponse({"status": "unavailable", "reason": str(error)}, status_code=503)
    return {"status": "ready", "schema": revision}

"""The FastAPI application factory."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from healthcert.service.context import ServiceContext

API_PREFIX = "/api/v1"
log = logging.getLogger("healthcert.api")


def create_app(ctx: ServiceContext) -> FastAPI:
    """The API over ``ctx``: routers under /api/v1, OpenAPI at /api/v1/openapi.json."""
    from healthcert.api import errors
    from healthcert.api.routes import (
        admin,
        certificates,
        health,
        holder,
        records,
        revocation,
        verify,
    )

    app = FastAPI(
        title="healthcert",
        summary="Records, holder sign-in, issuance, revocation and verification of travel "
        "health certificates",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.service = ctx
    errors.install(app)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(admin.router, prefix=API_PREFIX)
    app.include_router(records.router, prefix=API_PREFIX)
    app.include_router(certificates.router, prefix=API_PREFIX)
    app.include_router(holder.router, prefix=API_PREFIX)
    app.include_router(revocation.router, prefix=API_PREFIX)
    app.include_router(verify.router, prefix=API_PREFIX)
    app.middleware("http")(_access_log)
    return app


async def _access_log(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """One structured line per request; no body, no query: they may name a person."""
    start = time.perf_counter()
    response = await call_next(request)
    log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - start) * 1000, 2),
        },
    )
    return response

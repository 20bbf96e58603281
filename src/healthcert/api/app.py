"""The FastAPI application factory."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcert.api import contract, errors, guards, unavailable
from healthcert.api.routes import (
    admin,
    certificates,
    consular,
    declarations,
    health,
    health_code,
    holder,
    holder_data,
    identity,
    light,
    metrics,
    records,
    revocation,
    sealed,
    shc,
    trust,
    verify,
)
from healthcert.service.context import ServiceContext
from healthcert.service.metrics import request_answered
from healthcert.web import pages as web

API_PREFIX = "/api/v1"
log = logging.getLogger("healthcert.api")


def create_app(ctx: ServiceContext) -> FastAPI:
    """The API over ``ctx``: routers under /api/v1, OpenAPI at /api/v1/openapi.json."""
    app = FastAPI(
        title="healthcert",
        summary="Records, holder sign-in, issuance, revocation and verification of travel "
        "health certificates",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        # The docs page is the pages' own, served with its scripts from this host.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = ctx
    errors.install(app)
    unavailable.install(app)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(metrics.router)
    app.include_router(admin.router, prefix=API_PREFIX)
    app.include_router(records.router, prefix=API_PREFIX)
    app.include_router(certificates.router, prefix=API_PREFIX)
    app.include_router(holder.router, prefix=API_PREFIX)
    app.include_router(light.router, prefix=API_PREFIX)
    app.include_router(sealed.router, prefix=API_PREFIX)
    app.include_router(holder_data.router, prefix=API_PREFIX)
    app.include_router(identity.router, prefix=API_PREFIX)
    app.include_router(revocation.router, prefix=API_PREFIX)
    app.include_router(verify.router, prefix=API_PREFIX)
    app.include_router(shc.router, prefix=API_PREFIX)
    app.include_router(declarations.router, prefix=API_PREFIX)
    app.include_router(consular.router, prefix=API_PREFIX)
    app.include_router(health_code.router, prefix=API_PREFIX)
    app.include_router(trust.router, prefix=API_PREFIX)
    web.install(app, f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs")
    contract.install(app)
    guards.install(app)
    app.add_middleware(AccessLog)
    return app


class AccessLog:
    """One structured line per request, and its metrics; no body, no query: they may name a
    person.

    Plain ASGI rather than an ``http`` middleware, which costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [0]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        seconds = time.perf_counter() - start
        request_answered(_template(scope), scope["method"], status[0], seconds)
        log.info(
            "request",
            extra={
                "method": scope["method"],
                "path": scope["path"],
                "status": status[0],
                "request_id": scope.get("state", {}).get("request_id"),
                "ms": round(seconds * 1000, 2),
            },
        )


def _template(scope: Scope) -> str:
    """The matched route's path template (a bounded metrics label; a path is not): routers
    keep their paths without the prefix they are included under."""
    template = getattr(scope.get("route"), "path_format", None)
    if not template:
        return "unmatched"
    if scope["path"].startswith(f"{API_PREFIX}/") and not template.startswith(API_PREFIX):
        return f"{API_PREFIX}{template}"
    return str(template)

"""Who is calling: an API key (X-API-Key) with a role, or a holder's session (Bearer token)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from healthcert.service.apikeys import authenticate, cached_actor
from healthcert.service.audit import Actor
from healthcert.service.context import ServiceContext
from healthcert.service.errors import Unauthorised


async def service(request: Request) -> ServiceContext:
    # async: FastAPI runs a plain def dependency in a worker thread, a hop per request.
    context: ServiceContext = request.app.state.service
    return context


Service = Annotated[ServiceContext, Depends(service)]
# Security schemes rather than plain headers, so the OpenAPI document says how to sign in.
_api_key = APIKeyHeader(
    name="X-API-Key", scheme_name="ApiKey", auto_error=False, description="An API key's secret."
)
_bearer = HTTPBearer(
    scheme_name="Bearer", auto_error=False, description="A holder's session token."
)


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """A dependency that admits keys of ``roles`` (admin is always admitted): 401 without a
    valid key, 403 with a key of another role; the route body never runs then."""
    allowed = frozenset(roles) | {"admin"}

    async def check(ctx: Service, x_api_key: Annotated[str | None, Security(_api_key)]) -> Actor:
        try:
            # A key seen lately is answered on the event loop; only a lookup goes to a thread,
            # as it may wait on the database.
            actor = cached_actor(ctx, x_api_key)
            if actor is None:
                actor = await run_in_threadpool(authenticate, ctx, x_api_key)
        except Unauthorised as error:
            raise HTTPException(401, str(error), headers={"WWW-Authenticate": "ApiKey"}) from None
        if actor.role not in allowed:
            raise HTTPException(403, f"the role {actor.role!r} may not do this")
        return actor

    return check


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str | None:
    return credentials.credentials.strip() or None if credentials is not None else None

"""Who is calling: an API key (X-API-Key) with a role, or a holder's session (Bearer token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from healthcert.service.audit import Actor
from healthcert.service.context import ServiceContext


def service(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.service
    return context


Service = Annotated[ServiceContext, Depends(service)]


def require_role(*roles: str) -> Callable[..., Actor]:
    """A dependency that admits keys of ``roles`` (admin is always admitted): 401 without a
    valid key, 403 with a key of another role; the route body never runs then."""
    allowed = frozenset(roles) | {"admin"}

    def check(
        ctx: Service, x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None
    ) -> Actor:
        from healthcert.service.apikeys import authenticate
        from healthcert.service.errors import Unauthorised

        try:
            actor = authenticate(ctx, x_api_key)
        except Unauthorised as error:
            raise HTTPException(401, str(error), headers={"WWW-Authenticate": "ApiKey"}) from None
        if actor.role not in allowed:
            raise HTTPException(403, f"the role {actor.role!r} may not do this")
        return actor

    return check


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    if authorization is None or not authorization.lower().startswith("bearer "):
        return None
    return authorization[7:].strip() or None

"""The admin's API: API keys and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from healthcert.api.auth import Service, require_role
from healthcert.api.params import Instant, RowId
from healthcert.service import audit
from healthcert.service.apikeys import create_key, list_keys, revoke_key
from healthcert.service.audit import Actor

router = APIRouter(prefix="/admin", tags=["admin"])
Admin = Annotated[Actor, Depends(require_role("admin"))]


class NewKey(BaseModel):
    role: str
    label: str = Field(min_length=1, max_length=120)
    # An officer's post: the countries of residence it reviews declarations for.
    countries: list[str] = Field(default_factory=list, max_length=50)
    # A source that verifies identities (a passport office, a consulate): it sets contacts.
    identity_source: bool = False


@router.post("/api-keys", status_code=201)
def create_api_key(body: NewKey, ctx: Service, actor: Admin) -> dict[str, Any]:
    """Create a key; its secret is in this answer only. 409 when the label is taken."""
    created = create_key(
        ctx, body.role, body.label, actor, body.countries, identity_source=body.identity_source
    )
    return {
        "id": created.id,
        "role": created.role,
        "label": created.label,
        "identity_source": created.identity_source,
        "countries": sorted({c.strip().upper() for c in body.countries if c.strip()}),
        "key": created.secret,
    }


@router.get("/api-keys")
def list_api_keys(ctx: Service, _actor: Admin) -> list[dict[str, Any]]:
    return list_keys(ctx)


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_api_key(key_id: RowId, ctx: Service, actor: Admin) -> None:
    if not revoke_key(ctx, key_id, actor):
        raise HTTPException(404, "no such active key")


@router.get("/audit")
def audit_log(
    ctx: Service,
    _actor: Admin,
    action: str | None = None,
    since: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The latest audit events, newest first."""
    with ctx.sessions() as session:
        return [
            audit.as_json(e) for e in audit.events(session, action=action, since=since, limit=limit)
        ]

"""A signed-in holder's certificate sealed for a destination: readable by its border only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from healthcert.api.auth import Service
from healthcert.api.contract import answers
from healthcert.api.params import RowId
from healthcert.api.routes.holder import Holder
from healthcert.limits import MAX_ROW_ID
from healthcert.service.sealing import destination_of, sealed_for

router = APIRouter(prefix="/holder", tags=["holder"])


class SealBody(BaseModel):
    """Whom to seal for: one of the two."""

    model_config = ConfigDict(extra="forbid")

    declaration_id: Annotated[
        int | None,
        Field(ge=1, le=MAX_ROW_ID, description="My declaration: its trip's destination."),
    ] = None
    country: Annotated[
        str | None, Field(pattern=r"^[A-Za-z]{2}$", description="A destination country.")
    ] = None


@router.post("/certificates/{certificate_id}/sealed", status_code=201, responses=answers(409))
def make_sealed(
    certificate_id: RowId, body: SealBody, ctx: Service, person: Holder
) -> dict[str, Any]:
    """My EU DCC sealed (``HCS1:``) for the destination of my declaration (``declaration_id``)
    or for a ``country``: only that country's border verifiers, holding its border key, can
    read it. The answer holds the payload, the country, the border key's id (hex), the QR
    code (a PNG data: URI) and when it stops being usable; nothing is stored. 409 when the
    certificate is no EU DCC or not valid now (revoked, expired), or when this service trusts
    no border key of the destination."""
    destination = destination_of(ctx, person, body.declaration_id, body.country)
    return sealed_for(ctx, person, certificate_id, destination)

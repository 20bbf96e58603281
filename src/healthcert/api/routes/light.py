"""A signed-in holder's light certificates: name, date of birth and validity, no health data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from healthcert.api.auth import Service
from healthcert.api.contract import answers
from healthcert.api.params import RowId
from healthcert.api.routes.holder import Holder
from healthcert.formats.light.certificate import MAX_HOURS
from healthcert.service.light import light_for

router = APIRouter(prefix="/holder", tags=["holder"])


@router.post("/certificates/{certificate_id}/light", status_code=201, responses=answers(409))
def make_light(
    certificate_id: RowId,
    ctx: Service,
    person: Holder,
    hours: Annotated[int, Query(ge=1, le=MAX_HOURS)] = MAX_HOURS,
) -> dict[str, Any]:
    """A light certificate (``HCL1:``) of one of my certificates, for checks at home: my
    name and date of birth, valid for ``hours`` and never beyond the certificate. 409 when
    the certificate is not valid now (revoked, expired)."""
    return light_for(ctx, person, certificate_id, hours)

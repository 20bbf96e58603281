"""The holder's health code for their latest trip, as data and as a QR code to show."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response

from healthcert.api.auth import Service
from healthcert.api.contract import answers
from healthcert.api.routes.certificates import QR_MEDIA
from healthcert.api.routes.holder import Holder
from healthcert.declarations.health_code import current_code
from healthcert.service.paper import qr_image
from healthcert.service.rendering import MEDIA_TYPES

router = APIRouter(prefix="/holder/health-code", tags=["declarations"])


@router.get("", responses=answers(404))
def health_code(ctx: Service, person: Holder) -> dict[str, Any]:
    """The code for the latest declaration: green (approved, departure ahead), yellow (waiting
    for the post) or red (rejected, or evidence the pre-check finds failing), signed now: a
    code fetched after a later decision supersedes the older. 404 without a declaration."""
    return current_code(ctx, person)


@router.get("/qr.{kind}", response_class=Response, responses=QR_MEDIA)
def health_code_qr(kind: Literal["png", "svg"], ctx: Service, person: Holder) -> Response:
    payload = current_code(ctx, person)["payload"]
    # Signed at each fetch, so never cached: a stale colour must not be shown.
    headers = {"Cache-Control": "no-store"}
    return Response(qr_image(payload, kind), media_type=MEDIA_TYPES[kind], headers=headers)

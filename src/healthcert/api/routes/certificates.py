"""The issuers' API: issue a record's certificate, fetch its payload, QR code and paper form."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from healthcert.api.auth import Service, require_role
from healthcert.api.contract import media, same_as_created
from healthcert.api.errors import ErrorBody
from healthcert.api.params import RowId
from healthcert.formats import registry
from healthcert.service.audit import Actor
from healthcert.service.issuance import certificate_json, get_certificate, issue_for_record
from healthcert.service.paper import QrSize
from healthcert.service.rendering import MEDIA_TYPES, cached_pdf, cached_qr, servable

router = APIRouter(tags=["certificates"])
QR_MEDIA = media("image/png", "image/svg+xml")
PDF_MEDIA = media("application/pdf")
Issuer = Annotated[Actor, Depends(require_role("issuer"))]
Reader = Annotated[Actor, Depends(require_role("issuer", "officer"))]


class RevokedBody(ErrorBody):
    """Why a revoked certificate's QR code or paper form is not served."""

    revoked_at: str
    reason: str


# The QR code's size: small and medium fit a phone screen, large is for print.
Size = Annotated[QrSize, Query(description="small, medium (default) or large")]
RENDERINGS: dict[int | str, dict[str, Any]] = {
    410: {"model": RevokedBody, "description": "The certificate was revoked."}
}
QR_RENDERINGS = QR_MEDIA | RENDERINGS
PDF_RENDERINGS = PDF_MEDIA | RENDERINGS


class IssueBody(BaseModel):
    format: Annotated[
        str, Field(description=f"One of: {', '.join(registry.CERTIFICATE_FORMATS)}.")
    ] = registry.EU_DCC


@router.post(
    "/records/{record_id}/certificates",
    status_code=201,
    responses=same_as_created("The certificate existed: the stored one."),
)
def issue(
    record_id: RowId, body: IssueBody, ctx: Service, actor: Issuer, response: Response
) -> dict[str, Any]:
    """The record's certificate in the format asked: 201 when signed now, 200 when it existed."""
    issued = issue_for_record(ctx, record_id, body.format, actor)
    if not issued.created:
        response.status_code = 200
    return certificate_json(issued.certificate)


@router.get("/certificates/{certificate_id}")
def certificate(certificate_id: RowId, ctx: Service, _actor: Reader) -> dict[str, Any]:
    return certificate_json(get_certificate(ctx, certificate_id))


@router.get(
    "/certificates/{certificate_id}/qr.{kind}", response_class=Response, responses=QR_RENDERINGS
)
def qr(
    certificate_id: RowId,
    kind: Literal["png", "svg"],
    ctx: Service,
    _actor: Reader,
    size: Size = "medium",
) -> Response:
    """The QR code, rendered on the first request and cached; 410 once revoked."""
    return qr_response(ctx, certificate_id, kind, size)


@router.get("/certificates/{certificate_id}/pdf", response_class=Response, responses=PDF_RENDERINGS)
def pdf(certificate_id: RowId, ctx: Service, _actor: Reader, size: Size = "medium") -> Response:
    """The paper certificate (A4 PDF), its QR code ``size``; 410 once revoked."""
    return pdf_response(ctx, certificate_id, size)


def qr_response(ctx: Service, certificate_id: int, kind: str, size: QrSize) -> Response:
    row = servable(ctx, certificate_id)
    return Response(cached_qr(ctx, row, kind, size), media_type=MEDIA_TYPES[kind])


def pdf_response(ctx: Service, certificate_id: int, size: QrSize) -> Response:
    row = servable(ctx, certificate_id)
    headers = {"Content-Disposition": f'inline; filename="certificate-{certificate_id}.pdf"'}
    return Response(cached_pdf(ctx, row, size), media_type="application/pdf", headers=headers)

"""The travellers' API: sign in with a one-time code, see and obtain one's certificates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from healthcert.api.auth import Service, bearer_token
from healthcert.api.contract import answers, same_as_created
from healthcert.api.params import RowId
from healthcert.api.routes.certificates import (
    PDF_MEDIA,
    QR_MEDIA,
    IssueBody,
    pdf_response,
    qr_response,
)
from healthcert.service.holder import certificates_of, issue_own, own_certificate
from healthcert.service.issuance import certificate_json
from healthcert.service.records import record_json, records_of
from healthcert.service.signin import Person, session_person, sign_in, sign_out
from healthcert.service.signin import request_code as send_code

router = APIRouter(prefix="/holder", tags=["holder"])


class Identity(BaseModel):
    document_number: Annotated[str, Field(min_length=1, max_length=64)]
    date_of_birth: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class CodeBody(Identity):
    code: Annotated[str, Field(pattern=r"^\s*\d{6}\s*$")]


def signed_in(ctx: Service, token: Annotated[str | None, Depends(bearer_token)]) -> Person:
    return session_person(ctx, token)


Holder = Annotated[Person, Depends(signed_in)]


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/sign-in", status_code=202, responses=answers(429))
def request_code(body: Identity, ctx: Service, request: Request) -> dict[str, str]:
    """Send a one-time code to the contact on the person's records. The answer is the same
    whether or not such a person exists."""
    send_code(ctx, Person.of(body.document_number, body.date_of_birth), _address(request))
    return {"status": "if records exist for this person, a code was sent to their contact"}


@router.post("/session", status_code=201, responses=answers(401, 429))
def open_session(body: CodeBody, ctx: Service, request: Request) -> dict[str, str]:
    """Exchange the code for a session token (send it as ``Authorization: Bearer``)."""
    person = Person.of(body.document_number, body.date_of_birth)
    opened = sign_in(ctx, person, body.code, _address(request))
    return {"token": opened.token, "expires_at": opened.expires_at.isoformat()}


@router.delete("/session", status_code=204)
def close_session(
    ctx: Service, _person: Holder, token: Annotated[str | None, Depends(bearer_token)]
) -> None:
    if token:
        sign_out(ctx, token)


@router.get("/records")
def records(ctx: Service, person: Holder) -> list[dict[str, Any]]:
    return [record_json(r) for r in records_of(ctx, person.document_number, person.date_of_birth)]


@router.get("/certificates")
def certificates(ctx: Service, person: Holder) -> list[dict[str, Any]]:
    return [certificate_json(c) for c in certificates_of(ctx, person)]


@router.post(
    "/records/{record_id}/certificates",
    status_code=201,
    responses=same_as_created("The certificate existed: the stored one."),
)
def issue(
    record_id: RowId, body: IssueBody, ctx: Service, person: Holder, response: Response
) -> dict[str, Any]:
    """Obtain the certificate of one's own record (the stored one if it exists)."""
    issued = issue_own(ctx, person, record_id, body.format)
    if not issued.created:
        response.status_code = 200
    return certificate_json(issued.certificate)


@router.get("/certificates/{certificate_id}")
def certificate(certificate_id: RowId, ctx: Service, person: Holder) -> dict[str, Any]:
    return certificate_json(own_certificate(ctx, person, certificate_id))


@router.get("/certificates/{certificate_id}/qr.{kind}", response_class=Response, responses=QR_MEDIA)
def qr(
    certificate_id: RowId, kind: Literal["png", "svg"], ctx: Service, person: Holder
) -> Response:
    return qr_response(ctx, own_certificate(ctx, person, certificate_id).id, kind)


@router.get("/certificates/{certificate_id}/pdf", response_class=Response, responses=PDF_MEDIA)
def pdf(certificate_id: RowId, ctx: Service, person: Holder) -> Response:
    return pdf_response(ctx, own_certificate(ctx, person, certificate_id).id)

"""The travellers' API: sign in with a one-time code, see and obtain one's certificates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import Field

from healthcert.api.auth import Service, bearer_token
from healthcert.api.contract import answers, same_as_created
from healthcert.api.params import RowId
from healthcert.api.routes.certificates import (
    PDF_RENDERINGS,
    QR_RENDERINGS,
    IssueBody,
    Size,
    pdf_response,
    qr_response,
)
from healthcert.service import oidc
from healthcert.service.errors import NotFound, Unauthorised
from healthcert.service.holder import certificates_of, issue_own, own_certificate
from healthcert.service.issuance import certificate_json
from healthcert.service.person import IdentityIn, Person
from healthcert.service.records import record_json, records_of
from healthcert.service.signin import request_code as send_code
from healthcert.service.signin import session_person, sign_in, sign_out

router = APIRouter(prefix="/holder", tags=["holder"])


class CodeBody(IdentityIn):
    code: Annotated[str, Field(pattern=r"^\s*\d{6}\s*$")]


def signed_in(ctx: Service, token: Annotated[str | None, Depends(bearer_token)]) -> Person:
    return session_person(ctx, token)


Holder = Annotated[Person, Depends(signed_in)]


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/sign-in", status_code=202, responses=answers(429))
def request_code(body: IdentityIn, ctx: Service, request: Request) -> dict[str, str]:
    """Send a one-time code to the contact an identity source (the document's issuer or a
    consulate) gave for this person. The answer is the same whether or not there is one."""
    send_code(ctx, body.person(), _address(request))
    return {"status": "if a contact is known for this person, a code was sent to it"}


@router.post("/session", status_code=201, responses=answers(401, 429))
def open_session(body: CodeBody, ctx: Service, request: Request) -> dict[str, str]:
    """Exchange the code for a session token (send it as ``Authorization: Bearer``)."""
    opened = sign_in(ctx, body.person(), body.code, _address(request))
    return {"token": opened.token, "expires_at": opened.expires_at.isoformat()}


def _provider(ctx: Service) -> oidc.OidcProvider:
    if ctx.oidc is None:
        raise NotFound("no identity provider is configured: sign in with a code")
    return ctx.oidc


@router.get("/oidc/start", status_code=302, response_class=RedirectResponse, responses=answers(404))
def oidc_start(ctx: Service) -> RedirectResponse:
    """Sign in through the identity provider (e.g. the national eID): the answer sends the
    browser there; it comes back to ``/holder/oidc/callback``."""
    return RedirectResponse(oidc.begin(ctx, _provider(ctx)), status_code=302)


@router.get("/oidc/callback", status_code=201, responses=answers(401, 404))
def oidc_callback(
    ctx: Service,
    state: Annotated[str, Query(min_length=1, max_length=200)],
    code: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, str]:
    """Where the identity provider sends the holder back: a session token, as from
    ``/holder/session``. 401 when the sign-in was refused, unknown, used or expired."""
    provider = _provider(ctx)
    if error is not None or code is None:
        raise Unauthorised("the identity provider did not sign the holder in: start again")
    opened = oidc.finish(ctx, provider, code, state)
    return {"token": opened.token, "expires_at": opened.expires_at.isoformat()}


@router.delete("/session", status_code=204)
def close_session(
    ctx: Service, _person: Holder, token: Annotated[str | None, Depends(bearer_token)]
) -> None:
    if token:
        sign_out(ctx, token)


@router.get("/records")
def records(ctx: Service, person: Holder) -> list[dict[str, Any]]:
    return [record_json(r) for r in records_of(ctx, person)]


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


@router.get(
    "/certificates/{certificate_id}/qr.{kind}", response_class=Response, responses=QR_RENDERINGS
)
def qr(
    certificate_id: RowId,
    kind: Literal["png", "svg"],
    ctx: Service,
    person: Holder,
    size: Size = "medium",
) -> Response:
    """One's certificate's QR code; 410 once revoked."""
    return qr_response(ctx, own_certificate(ctx, person, certificate_id).id, kind, size)


@router.get("/certificates/{certificate_id}/pdf", response_class=Response, responses=PDF_RENDERINGS)
def pdf(certificate_id: RowId, ctx: Service, person: Holder, size: Size = "medium") -> Response:
    """One's paper certificate (A4 PDF); 410 once revoked."""
    return pdf_response(ctx, own_certificate(ctx, person, certificate_id).id, size)

"""What a verifier needs to trust this authority: its CSCA and document signer certificates.
Public: certificates hold public keys, nothing about a person."""

from __future__ import annotations

from fastapi import APIRouter, Response

from healthcert.api.auth import Service
from healthcert.api.contract import answers, media
from healthcert.errors import KeyStoreError
from healthcert.service.authority import published_certificates
from healthcert.service.errors import NotFound

router = APIRouter(prefix="/trust", tags=["trust"])


@router.get(
    "/certificates.pem",
    response_class=Response,
    responses={**media("application/x-pem-file"), **answers(404)},
)
def certificates(ctx: Service) -> Response:
    """The CSCA and every DSC (certificates and health codes) as PEM, for
    ``healthcert verify --trust certificates.pem``."""
    try:
        found = published_certificates(ctx.key_home)
    except KeyStoreError:
        raise NotFound("this service has no CSCA") from None
    return Response(found, media_type="application/x-pem-file")

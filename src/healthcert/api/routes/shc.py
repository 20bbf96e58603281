"""The SMART Health Cards issuer's key set: verifiers fetch ``<iss>/.well-known/jwks.json``."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter

from healthcert.api.auth import Service
from healthcert.formats.shc import card as shc

router = APIRouter(prefix="/shc", tags=["shc"])


@router.get("/.well-known/jwks.json")
def jwks(ctx: Service) -> dict[str, Any]:
    """The public key that signs this service's SMART Health Cards (no key needed: public)."""
    key = ctx.signer().private_key
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return {"keys": []}
    return {"keys": [shc.issuer_jwk(key.public_key())]}

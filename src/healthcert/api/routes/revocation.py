"""Revocation: issuers revoke; the lists are public, as verifiers everywhere must fetch them
(they hold hashes and random ids, nothing about a person)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from healthcert.api.auth import Service, require_role
from healthcert.api.params import RowId
from healthcert.service.audit import Actor
from healthcert.service.issuance import certificate_json
from healthcert.service.revocation import (
    eu_revocation_list,
    revoked_seals,
    superseded_health_codes,
)
from healthcert.service.revocation import revoke as revoke_certificate
from healthcert.service.revocation import shc_crls as revoked_cards

router = APIRouter(tags=["revocation"])
Issuer = Annotated[Actor, Depends(require_role("issuer"))]


class RevokeBody(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=200)]


@router.post("/certificates/{certificate_id}/revoke")
def revoke(certificate_id: RowId, body: RevokeBody, ctx: Service, actor: Issuer) -> dict[str, Any]:
    """Revoke a certificate with a reason; revoking again changes nothing."""
    row = revoke_certificate(ctx, certificate_id, body.reason, actor)
    return {**certificate_json(row), "revocation_reason": row.revocation_reason}


@router.get("/revocations/eu-dcc")
def eu_dcc_list(ctx: Service) -> dict[str, Any]:
    """Revoked EU DCCs: first 16 bytes of SHA-256 of UCI, country + UCI and signature."""
    return eu_revocation_list(ctx)


@router.get("/revocations/shc")
def shc_crls(ctx: Service) -> list[dict[str, Any]]:
    """Revoked SMART Health Cards: one CRL per kid, method ``rid``."""
    return revoked_cards(ctx)


@router.get("/revocations/vds-nc")
def vdsnc_list(ctx: Service) -> dict[str, Any]:
    """Revoked VDS-NC seals: the hash of each one's signature (the first 16 bytes of SHA-256
    of r, as the EU's SIGNATURE hashes), base64."""
    return {"method": "signature", "hashes": _base64(revoked_seals(ctx))}


@router.get("/revocations/health-codes")
def health_code_list(ctx: Service) -> dict[str, Any]:
    """Health codes a later decision superseded: the hash of each one's signature (the first
    16 bytes of SHA-256 of r, as the EU's SIGNATURE hashes), base64."""
    return {"method": "signature", "hashes": _base64(superseded_health_codes(ctx))}


def _base64(digests: list[bytes]) -> list[str]:
    return [base64.b64encode(digest).decode("ascii") for digest in digests]

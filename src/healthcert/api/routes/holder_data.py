"""A signed-in holder's own data: download all of it, or have it erased where the law allows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from healthcert.api.auth import Service
from healthcert.api.routes.holder import Holder
from healthcert.service.holder_data import erase, export

router = APIRouter(prefix="/holder", tags=["holder"])


@router.get("/data")
def my_data(ctx: Service, person: Holder) -> dict[str, Any]:
    """Everything this service holds about me: records (with the contact they give),
    certificates, declarations with their history, evidence and uploaded documents (base64),
    health codes. Audited."""
    return export(ctx, person)


@router.delete("/data")
def erase_my_data(ctx: Service, person: Holder) -> dict[str, Any]:
    """Erase my declarations, documents, health codes and records; a record whose certificate
    is still in force is kept until it ends (``kept`` says which, until when and why), so the
    certificate can still be revoked. Audited with counts only."""
    return erase(ctx, person)

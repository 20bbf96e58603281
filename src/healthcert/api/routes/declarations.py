"""The travellers' health declarations: file one, add documents, read, withdraw."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, UploadFile
from starlette.concurrency import run_in_threadpool

from healthcert.api.auth import Service
from healthcert.api.contract import answers, json_body
from healthcert.api.guards import MULTIPART_SLACK, body_limit
from healthcert.api.params import RowId
from healthcert.api.routes.holder import Holder
from healthcert.declarations import filing, intake
from healthcert.declarations.intake import (
    DEPARTURE_AHEAD,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    MAX_EVIDENCE,
    MAX_VIA,
    TEMPERATURE_C,
)

router = APIRouter(prefix="/holder/declarations", tags=["declarations"])

_LIMITS = (
    f"Limits: at most {MAX_VIA} countries in trip.via, {MAX_EVIDENCE} pieces of evidence, "
    f"a departure from now to {DEPARTURE_AHEAD.days} days ahead, a temperature of "
    f"{TEMPERATURE_C[0]}-{TEMPERATURE_C[1]} °C, consent true."
)


@router.post(
    "",
    status_code=201,
    description=_LIMITS,
    openapi_extra=json_body(intake.DeclarationIn.model_json_schema(), "A health declaration."),
)
def file_declaration(
    ctx: Service, person: Holder, document: Annotated[Any, Body()]
) -> dict[str, Any]:
    """File a health declaration before travelling home. Evidence: one's own records
    (``record_id``) and certificate payloads (``payload``), verified on arrival. 422 lists
    every wrong field; nothing is stored then."""
    return intake.read_own(ctx, person, filing.file_declaration(ctx, person, document).id)


@router.get("")
def list_declarations(ctx: Service, person: Holder) -> list[dict[str, Any]]:
    return intake.declarations_of(ctx, person)


@router.get("/{declaration_id}")
def read_declaration(declaration_id: RowId, ctx: Service, person: Holder) -> dict[str, Any]:
    """The declaration with its evidence and status history."""
    return intake.read_own(ctx, person, declaration_id)


@router.post(
    "/{declaration_id}/documents",
    status_code=201,
    description=f"A PDF, PNG or JPEG document of at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} "
    f"MiB, at most {MAX_DOCUMENTS} per declaration; its type is read from its content, not "
    "from its name or header. After a post asked for documents, one puts the declaration "
    "back in its queue. 409 once the declaration is decided.",
    responses=answers(409),
    # Room for the multipart framing around the largest document, which this route refuses.
    openapi_extra=body_limit(MAX_DOCUMENT_BYTES + MULTIPART_SLACK),
)
async def add_document(
    declaration_id: RowId, ctx: Service, person: Holder, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    # One byte past the limit is enough to refuse: a larger upload is not read whole.
    data = await file.read(MAX_DOCUMENT_BYTES + 1)
    await run_in_threadpool(
        filing.add_document, ctx, person, declaration_id, data, file.filename, file.content_type
    )
    return await run_in_threadpool(intake.read_own, ctx, person, declaration_id)


@router.post("/{declaration_id}/withdraw", responses=answers(409))
def withdraw(declaration_id: RowId, ctx: Service, person: Holder) -> dict[str, Any]:
    """Withdraw an open declaration; 409 once it is decided."""
    intake.withdraw(ctx, person, declaration_id)
    return intake.read_own(ctx, person, declaration_id)

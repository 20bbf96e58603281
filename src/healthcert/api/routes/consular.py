"""The posts' API: an officer reviews the declarations of the countries of residence its key
covers. Another post's declaration is 404: nothing of it is revealed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from healthcert.api.auth import Service, require_role
from healthcert.api.contract import answers, media
from healthcert.api.params import RowId
from healthcert.declarations import review
from healthcert.limits import MAX_ROW_ID
from healthcert.service.audit import Actor

router = APIRouter(prefix="/consular/declarations", tags=["consular"])
Officer = Annotated[Actor, Depends(require_role("officer"))]


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "request_documents"]
    reason: Annotated[str | None, Field(max_length=review.MAX_REASON)] = None
    # The version read: a decision on a declaration changed since is 409.
    version: Annotated[int | None, Field(ge=1, le=MAX_ROW_ID)] = None


@router.get("")
def declaration_queue(
    ctx: Service,
    actor: Officer,
    status: str = "submitted",
    limit: Annotated[int, Query(ge=1, le=review.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> list[dict[str, Any]]:
    """The post's declarations in ``status``, oldest first."""
    return review.queue(ctx, review.post_of(ctx, actor), status, limit, offset)


@router.get("/{declaration_id}")
def examine(declaration_id: RowId, ctx: Service, actor: Officer) -> dict[str, Any]:
    """The declaration, each certificate verified for its destination, and the pre-check."""
    return review.examine(ctx, review.post_of(ctx, actor), declaration_id)


@router.get(
    "/{declaration_id}/documents/{evidence_id}",
    response_class=Response,
    responses=media("application/pdf", "image/png", "image/jpeg"),
)
def document(declaration_id: RowId, evidence_id: RowId, ctx: Service, actor: Officer) -> Response:
    """An uploaded document as the holder sent it (PDF, PNG or JPEG)."""
    post = review.post_of(ctx, actor)
    media_type, data = review.document(ctx, post, declaration_id, evidence_id)
    # Served as an attachment: a browser must not run what a holder uploaded.
    headers = {"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=media_type, headers=headers)


@router.post("/{declaration_id}/decision", responses=answers(409))
def decide(
    declaration_id: RowId, body: DecisionBody, ctx: Service, actor: Officer
) -> dict[str, Any]:
    """Approve, reject or ask for documents (reject and request_documents need a reason).
    409 when another decision landed first."""
    post = review.post_of(ctx, actor)
    return review.decide(ctx, post, declaration_id, body.decision, body.reason, body.version)

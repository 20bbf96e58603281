"""The verifiers' API: a payload or an image of a QR code in, the verification report out.
Nothing about the person is stored or logged."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from pydantic import BaseModel, Field

from healthcert.api.auth import Service, require_role
from healthcert.api.guards import MULTIPART_SLACK, body_limit
from healthcert.api.params import Instant
from healthcert.api.responses import JsonBytes
from healthcert.limits import MAX_IMAGE_BYTES, MAX_INPUT_BYTES
from healthcert.service.audit import Actor
from healthcert.service.verification import Ask, verify_text
from healthcert.service.verification import verify_image as verify_picture

router = APIRouter(prefix="/verify", tags=["verify"])
Verifier = Annotated[Actor, Depends(require_role("verifier", "officer"))]
Country = Annotated[str | None, Field(pattern=r"^[A-Za-z]{2}$")]


View = Literal["minimal", "full"]
VIEW_HELP = (
    "minimal (the default): validity, verdict, the holder's names and date of birth (a health "
    "code's document and trip), issue and expiry; nothing of their health. full: the whole "
    "report, for a reason the audit log keeps with who asked."
)
Reason = Annotated[str | None, Field(min_length=3, max_length=200)]


class VerifyBody(BaseModel):
    payload: Annotated[str, Field(max_length=4 * MAX_INPUT_BYTES)]
    country: Country = None
    origin: Country = None
    language: str = "en"
    at: Instant | None = None
    view: Annotated[View, Field(description=VIEW_HELP)] = "minimal"
    reason: Annotated[Reason, Field(description="Why the full view is needed (required then).")] = (
        None
    )


@router.post("", response_class=JsonBytes)
async def verify_payload(body: VerifyBody, ctx: Service, actor: Verifier) -> JsonBytes:
    """The report of one payload; with ``country``, also the entry rules' verdict there.

    Runs on the event loop: the work is ~0.1 ms of CPU, less than a hop to a worker thread
    (the revocation set is cached; rebuilding it every few seconds is a short read).
    """
    ask = Ask(body.country, body.origin, body.language, body.at, body.view, body.reason, actor)
    return JsonBytes(verify_text(ctx, body.payload, ask))


@router.post("/image", openapi_extra=body_limit(MAX_IMAGE_BYTES + MULTIPART_SLACK))
def verify_image(
    ctx: Service,
    actor: Verifier,
    image: Annotated[UploadFile, File(description="A photo or scan with one or more QR codes.")],
    country: Annotated[str | None, Form(pattern=r"^[A-Za-z]{2}$")] = None,
    language: Annotated[str, Form()] = "en",
    view: Annotated[View, Form(description=VIEW_HELP)] = "minimal",
    reason: Annotated[str | None, Form(min_length=3, max_length=200)] = None,
) -> dict[str, Any]:
    """One report per QR code in the uploaded image."""
    data = image.file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise HTTPException(413, f"the image is larger than {MAX_IMAGE_BYTES} bytes")
    ask = Ask(country, None, language, view=view, reason=reason, who=actor)
    return {"reports": verify_picture(ctx, data, ask)}

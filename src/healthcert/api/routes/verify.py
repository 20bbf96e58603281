"""The verifiers' API: a payload or an image of a QR code in, the verification report out.
Nothing about the person is stored or logged."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Response, UploadFile
from pydantic import BaseModel, Field

from healthcert.api.auth import Service, require_role
from healthcert.api.guards import MULTIPART_SLACK, body_limit
from healthcert.api.params import Instant
from healthcert.api.responses import JsonBytes
from healthcert.limits import MAX_IMAGE_BYTES, MAX_INPUT_BYTES
from healthcert.service.audit import Actor
from healthcert.service.verification import Ask, verify_text, verify_texts
from healthcert.service.verification import verify_image as verify_picture

router = APIRouter(prefix="/verify", tags=["verify"])
Verifier = Annotated[Actor, Depends(require_role("verifier", "officer"))]
Country = Annotated[str | None, Field(pattern=r"^[A-Za-z]{2}$")]
Payload = Annotated[str, Field(max_length=4 * MAX_INPUT_BYTES)]
# Payloads in one batch request: a full batch is some 30 ms of CPU, verified a slice at a
# time so that the other requests on this worker are answered in between.
MAX_BATCH = 500
SLICE = 32
# A full batch of the largest payloads, with the JSON around them.
MAX_BATCH_BYTES = MAX_BATCH * 4 * MAX_INPUT_BYTES + 64 * 1024

View = Literal["minimal", "full"]
VIEW_HELP = (
    "minimal (the default): validity, verdict, the holder's names and date of birth (a health "
    "code's document and trip), issue and expiry; nothing of their health. full: the whole "
    "report, for a reason the audit log keeps with who asked."
)
Reason = Annotated[str | None, Field(min_length=3, max_length=200)]


class AskBody(BaseModel):
    country: Country = None
    origin: Country = None
    language: str = "en"
    at: Instant | None = None
    view: Annotated[View, Field(description=VIEW_HELP)] = "minimal"
    reason: Annotated[Reason, Field(description="Why the full view is needed (required then).")] = (
        None
    )

    def ask(self, who: Actor) -> Ask:
        return Ask(self.country, self.origin, self.language, self.at, self.view, self.reason, who)


class VerifyBody(AskBody):
    payload: Payload


class BatchBody(AskBody):
    payloads: Annotated[
        list[Payload],
        Field(min_length=1, max_length=MAX_BATCH, description="The payloads, in any formats."),
    ]


class BatchAnswer(BaseModel):
    reports: list[dict[str, Any]] = Field(
        description="One verification report per payload, in the order of the payloads."
    )


@router.post("", response_class=JsonBytes)
async def verify_payload(body: VerifyBody, ctx: Service, actor: Verifier) -> JsonBytes:
    """The report of one payload; with ``country``, also the entry rules' verdict there.

    Runs on the event loop: the work is ~0.1 ms of CPU, less than a hop to a worker thread
    (the revocation set is cached; rebuilding it every few seconds is a short read).
    """
    return JsonBytes(verify_text(ctx, body.payload, body.ask(actor)))


@router.post(
    "/batch",
    response_class=JsonBytes,
    response_model=BatchAnswer,
    openapi_extra=body_limit(MAX_BATCH_BYTES),
)
async def verify_batch(body: BatchBody, ctx: Service, actor: Verifier) -> Response:
    """The reports of up to 500 payloads, in their order; with ``country``, each also carries
    the entry rules' verdict there. One request instead of one per payload: the HTTP and
    framework cost is paid once for the batch."""
    ask, payloads, reports = body.ask(actor), body.payloads, []
    for start in range(0, len(payloads), SLICE):
        if start:
            await asyncio.sleep(0)  # let the loop answer other requests between slices
        reports.extend(verify_texts(ctx, payloads[start : start + SLICE], ask, start))
    content = b"".join((b'{"reports":[', b",".join(reports), b"]}"))
    return Response(content, media_type="application/json")


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

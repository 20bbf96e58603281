"""The verifiers' API: a payload or an image of a QR code in, the verification report out.
Nothing about the person is stored or logged."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Response, UploadFile
from pydantic import BaseModel, Field

from healthcert.api.auth import Service, require_role
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


class AskBody(BaseModel):
    country: Country = None
    origin: Country = None
    language: str = "en"
    at: datetime | None = None

    def ask(self) -> Ask:
        return Ask(self.country, self.origin, self.language, self.at)


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
async def verify_payload(body: VerifyBody, ctx: Service, _actor: Verifier) -> JsonBytes:
    """The report of one payload; with ``country``, also the entry rules' verdict there.

    Runs on the event loop: the work is ~0.1 ms of CPU, less than a hop to a worker thread
    (the revocation set is cached; rebuilding it every few seconds is a short read).
    """
    return JsonBytes(verify_text(ctx, body.payload, body.ask()))


@router.post("/batch", response_class=JsonBytes, response_model=BatchAnswer)
async def verify_batch(body: BatchBody, ctx: Service, _actor: Verifier) -> Response:
    """The reports of up to 500 payloads, in their order; with ``country``, each also carries
    the entry rules' verdict there. One request instead of one per payload: the HTTP and
    framework cost is paid once for the batch."""
    ask, payloads, reports = body.ask(), body.payloads, []
    for start in range(0, len(payloads), SLICE):
        if start:
            await asyncio.sleep(0)  # let the loop answer other requests between slices
        reports.extend(verify_texts(ctx, payloads[start : start + SLICE], ask, start))
    content = b"".join((b'{"reports":[', b",".join(reports), b"]}"))
    return Response(content, media_type="application/json")


@router.post("/image")
def verify_image(
    ctx: Service,
    _actor: Verifier,
    image: Annotated[UploadFile, File(description="A photo or scan with one or more QR codes.")],
    country: Annotated[str | None, Form(pattern=r"^[A-Za-z]{2}$")] = None,
    language: Annotated[str, Form()] = "en",
) -> dict[str, Any]:
    """One report per QR code in the uploaded image."""
    data = image.file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise HTTPException(413, f"the image is larger than {MAX_IMAGE_BYTES} bytes")
    return {"reports": verify_picture(ctx, data, Ask(country, None, language))}

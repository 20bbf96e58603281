"""QR images of a certificate, rendered on first request and kept in the database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext
    from healthcert.store.tables import IssuedCertificate

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def qr_image(payload: str, kind: str, *, scale: int = 4) -> bytes:
    """The payload's QR code as PNG or SVG; error level Q survives a scuffed print."""
    from healthcert.codec.qr import image_bytes

    return image_bytes(payload, kind, error_level="Q", scale=scale)


def cached_qr(ctx: ServiceContext, certificate_id: int, payload: str, kind: str) -> bytes:
    """The stored image, or a new one that is stored for the next request."""
    from healthcert.store.tables import Rendering

    with ctx.sessions() as session:
        found = session.get(Rendering, (certificate_id, kind))
    if found is not None:
        return found.data
    data = qr_image(payload, kind)
    _keep(ctx, certificate_id, kind, data)
    return data


def cached_pdf(ctx: ServiceContext, certificate_id: int) -> bytes:
    """The paper certificate, rendered once: from the signed payload, so it shows exactly
    what the QR code carries."""
    from healthcert.service.issuance import get_certificate
    from healthcert.store.tables import Rendering

    with ctx.sessions() as session:
        found = session.get(Rendering, (certificate_id, "pdf"))
    if found is not None:
        return found.data
    data = _paper(ctx, get_certificate(ctx, certificate_id))
    _keep(ctx, certificate_id, "pdf", data)
    return data


def _paper(ctx: ServiceContext, row: IssuedCertificate) -> bytes:
    from healthcert.service.paper import render_pdf

    certificate = _canonical(ctx, row)
    meta = {
        "uvci": row.uvci,
        "country": row.country,
        "issuer": str(certificate["entry"].get("issuer", "")),
        "expires": row.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
    }
    return render_pdf(certificate, row.payload, meta)


def _canonical(ctx: ServiceContext, row: IssuedCertificate) -> dict[str, Any]:
    """The certificate as signed: decoded from an HC1 payload, else rebuilt from its record
    the way issuance built it."""
    from healthcert.model.certificate import Certificate
    from healthcert.service.issuance import certificate_document
    from healthcert.service.records import get_record

    if row.format == "eu-dcc":
        from healthcert.formats import hcert
        from healthcert.formats.dcc_json import from_dcc

        return from_dcc(hcert.decode(row.payload).dcc).model_dump(mode="json")
    document = certificate_document(ctx, get_record(ctx, row.record_id))
    document["entry"]["certificate_id"] = row.uvci
    return Certificate.model_validate(document).model_dump(mode="json")


def _keep(ctx: ServiceContext, certificate_id: int, kind: str, data: bytes) -> None:
    from sqlalchemy.exc import IntegrityError

    from healthcert.store.tables import Rendering

    try:
        with ctx.transaction() as session:
            session.add(Rendering(certificate_id=certificate_id, kind=kind, data=data))
    except IntegrityError:
        pass  # a concurrent request stored the same rendering first

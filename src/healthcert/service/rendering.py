"""QR images and the paper form of a certificate, rendered on first request and kept in the
database, one per size. A revoked certificate has neither: a clean code or paper would be
shown at a border as if it still held."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from healthcert.database.tables import IssuedCertificate, Rendering
from healthcert.formats import registry
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.eu_dcc.mapping import from_dcc
from healthcert.model.certificate import Certificate
from healthcert.service.errors import Revoked
from healthcert.service.issuance import certificate_document, get_certificate
from healthcert.service.paper import QR_SCALE, PaperFacts, QrSize, qr_image, render_pdf
from healthcert.service.records import get_record

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def servable(ctx: ServiceContext, certificate_id: int) -> IssuedCertificate:
    """The certificate, if it may be rendered: Revoked (with its reason) once revoked."""
    row = get_certificate(ctx, certificate_id)
    if row.revoked_at is not None:
        raise Revoked(certificate_id, row.revoked_at, row.revocation_reason or "")
    return row


def cached_qr(ctx: ServiceContext, row: IssuedCertificate, kind: str, size: QrSize) -> bytes:
    """The stored image, or a new one that is stored for the next request."""
    key = _cache_key(kind, size)
    found = _cached(ctx, row.id, key)
    if found is not None:
        return found
    data = qr_image(row.payload, kind, scale=QR_SCALE[size])
    _keep(ctx, row.id, key, data)
    return data


def cached_pdf(ctx: ServiceContext, row: IssuedCertificate, size: QrSize) -> bytes:
    """The paper certificate, rendered once per size: from the signed payload, so it shows
    exactly what the QR code carries."""
    key = _cache_key("pdf", size)
    found = _cached(ctx, row.id, key)
    if found is not None:
        return found
    data = _paper(ctx, row, size)
    _keep(ctx, row.id, key, data)
    return data


def _cache_key(kind: str, size: QrSize) -> str:
    """``png``/``svg`` of medium size keep the key they had before sizes; a PDF's key names
    its layout's version too, so papers stored before it are rendered anew."""
    if kind == "pdf":
        return f"pdf2-{size[0]}"
    return kind if size == "medium" else f"{kind}-{size[0]}"


def _cached(ctx: ServiceContext, certificate_id: int, key: str) -> bytes | None:
    with ctx.sessions() as session:
        found = session.get(Rendering, (certificate_id, key))
    return None if found is None else found.data


def _paper(ctx: ServiceContext, row: IssuedCertificate, size: QrSize) -> bytes:
    certificate = _canonical(ctx, row)
    facts = PaperFacts(
        uvci=row.uvci,
        country=row.country,
        issuer=str(certificate["entry"].get("issuer", "")),
        document_number=get_record(ctx, row.record_id).document_number,
        issued=row.issued_at,
        expires=row.expires_at,
    )
    return render_pdf(certificate, row.payload, facts, size)


def _canonical(ctx: ServiceContext, row: IssuedCertificate) -> dict[str, Any]:
    """The certificate as signed: decoded from an HC1 payload, else rebuilt from its record
    the way issuance built it."""
    if row.format == registry.EU_DCC:
        return from_dcc(eu_dcc.decode(row.payload).dcc).model_dump(mode="json")
    record = get_record(ctx, row.record_id)
    document = certificate_document(
        record.holder, record.entry, row.country, ctx.issuer_name, row.uvci
    )
    return Certificate.model_validate(document).model_dump(mode="json")


def _keep(ctx: ServiceContext, certificate_id: int, kind: str, data: bytes) -> None:
    try:
        with ctx.transaction() as session:
            session.add(Rendering(certificate_id=certificate_id, kind=kind, data=data))
    except IntegrityError:
        pass  # a concurrent request stored the same rendering first

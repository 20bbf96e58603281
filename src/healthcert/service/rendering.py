"""QR images and the paper form of a certificate, rendered on first request and kept in the
database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from healthcert.database.tables import IssuedCertificate, Rendering
from healthcert.formats import registry
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.eu_dcc.mapping import from_dcc
from healthcert.model.certificate import Certificate
from healthcert.service.issuance import certificate_document, get_certificate
from healthcert.service.paper import qr_image, render_pdf
from healthcert.service.records import get_record

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def cached_qr(ctx: ServiceContext, certificate_id: int, payload: str, kind: str) -> bytes:
    """The stored image, or a new one that is stored for the next request."""
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
    with ctx.sessions() as session:
        found = session.get(Rendering, (certificate_id, "pdf"))
    if found is not None:
        return found.data
    data = _paper(ctx, get_certificate(ctx, certificate_id))
    _keep(ctx, certificate_id, "pdf", data)
    return data


def _paper(ctx: ServiceContext, row: IssuedCertificate) -> bytes:
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

"""What the traveller's pages show of a record, a certificate and a health code: codes by name
in the page's language, names written as their language writes them, QR codes inline."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from healthcert.model.written_name import written_name
from healthcert.service.issuance import certificate_document
from healthcert.service.paper import qr_image
from healthcert.web.view import EntryField, entry_fields

if TYPE_CHECKING:
    from healthcert.database.tables import IssuedCertificate, Record

# The entry's fields that are no code, in the order a person reads them.
_PLAIN_FIELDS = (
    "date",
    "sample_time",
    "test_name",
    "centre",
    "first_positive",
    "valid_from",
    "valid_until",
    "issuer",
)


@dataclass(frozen=True, slots=True)
class EntryView:
    """One record's entry: its kind, when, its codes by name and its other fields."""

    kind: str
    when: str
    coded: list[EntryField]
    plain: list[tuple[str, str]] = field(default_factory=list)
    doses: str | None = None

    @property
    def headline(self) -> str:
        """What the entry is in a few words: its product, test type or disease."""
        for wanted in ("product", "test_type", "disease"):
            for item in self.coded:
                if item.field == wanted:
                    return item.name
        return self.kind


@dataclass(frozen=True, slots=True)
class CertificateView:
    id: int
    record_id: int
    format: str
    uvci: str
    issued_at: str
    expires_at: str
    revoked: bool
    expired: bool
    name: str
    latin_name: str
    date_of_birth: str
    entry: EntryView
    # A data: URI, so the page and its QR code are one response (and one offline copy).
    qr: str | None


def entry_view(entry: dict[str, Any], language: str) -> EntryView:
    kind = str(entry.get("kind") or "")
    plain = [(name, moment_text(str(entry[name]))) for name in _PLAIN_FIELDS if entry.get(name)]
    doses = None
    if entry.get("dose_number") and entry.get("total_doses"):
        doses = f"{entry['dose_number']}/{entry['total_doses']}"
    when = str(entry.get("date") or entry.get("sample_time") or entry.get("first_positive") or "")
    return EntryView(kind, _day(when), entry_fields(entry, language), plain, doses)


def _day(moment: str) -> str:
    return moment[:10]


def moment_text(text: str) -> str:
    """A date stays as it is; a date and time reads in UTC to the minute."""
    if len(text) <= 10:
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def certificate_view(
    row: IssuedCertificate, record: Record, language: str, issuer_name: str, now: datetime
) -> CertificateView:
    """The certificate as its holder reads it; a revoked one has no QR code."""
    document = certificate_document(record.holder, record.entry, row.country, issuer_name, row.uvci)
    holder = document["holder"]
    revoked = row.revoked_at is not None
    return CertificateView(
        id=row.id,
        record_id=row.record_id,
        format=row.format,
        uvci=row.uvci,
        issued_at=row.issued_at.strftime("%Y-%m-%d"),
        expires_at=row.expires_at.strftime("%Y-%m-%d"),
        revoked=revoked,
        expired=row.expires_at <= now,
        name=written_name(holder.get("family_name"), holder.get("given_name")),
        latin_name=written_name(holder.get("family_name_latin"), holder.get("given_name_latin")),
        date_of_birth=str(holder.get("date_of_birth") or ""),
        entry=entry_view(document["entry"], language),
        qr=None if revoked else qr_data(row.payload),
    )


def qr_data(payload: str) -> str:
    """The payload's QR code as a PNG data: URI (a few kilobytes; scaled up by the page)."""
    png = qr_image(payload, "png", scale=2)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def holder_name(records: list[Record]) -> str:
    """The name the newest record gives, as a person reads it."""
    if not records:
        return ""
    holder = records[-1].holder
    return written_name(holder.get("family_name"), holder.get("given_name"))

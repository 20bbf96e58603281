"""What the check page shows of one report: the verdict, who, until when, each rule.
Read from the report as the API returns it, so the page and the API never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from healthcert.formats import registry
from healthcert.model.display import display_name
from healthcert.model.written_name import written_name
from healthcert.rules.verdict import CERTIFICATE_INVALID
from healthcert.web.i18n import error_message


@dataclass(frozen=True, slots=True)
class Outcome:
    """One report as a border officer reads it."""

    colour: str
    # False: forged, expired, unreadable...: what it names is only what the code claims.
    verified: bool
    format: str | None
    name: str
    latin_name: str
    date_of_birth: str
    document_number: str | None
    valid_from: str | None
    valid_until: str | None
    rules: list[dict[str, str]] = field(default_factory=list)
    reasons: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    entry: list[EntryField] = field(default_factory=list)
    # The minimal view (``disclosure``): no health details, reasons by code only.
    minimal: bool = False
    # A sealed certificate (``HCS1:``): True once opened with this deployment's border key,
    # False when none of its keys opens it; None for a certificate that was not sealed.
    sealed: bool | None = None


@dataclass(frozen=True, slots=True)
class EntryField:
    """One coded field of the entry: ``field`` picks the label, ``name`` is what a person reads."""

    field: str
    name: str
    code: str


# The coded fields of an entry, in the order a person reads them.
_CODED_FIELDS = (
    "disease",
    "vaccine",
    "product",
    "manufacturer",
    "test_type",
    "test_device",
    "result",
    "country",
)


def outcome(report: dict[str, Any], language: str = "en") -> Outcome:
    """``report`` as shown in ``language``: without a destination the colour is the report's
    validity."""
    colour = report.get("verdict") or ("green" if report.get("valid") else "red")
    certificate = report.get("certificate") or {}
    holder = certificate.get("holder") or {}
    document = (
        holder.get("document_number") if report.get("format") == registry.HEALTH_CODE else None
    )
    return Outcome(
        colour=str(colour),
        verified=bool(report.get("valid")),
        format=report.get("format"),
        name=written_name(holder.get("family_name"), holder.get("given_name")),
        latin_name=written_name(holder.get("family_name_latin"), holder.get("given_name_latin")),
        date_of_birth=str(holder.get("date_of_birth") or ""),
        document_number=document,
        valid_from=_moment(report.get("iat")),
        valid_until=_moment(report.get("exp")),
        rules=list(report.get("rules") or []),
        reasons=[reason for reason in report.get("verdict_reasons") or [] if _own(reason)],
        errors=[
            {"code": str(error.get("code")), "message": error_message(error, language)}
            for error in report.get("errors") or []
        ],
        entry=entry_fields(certificate.get("entry"), language),
        minimal=report.get("view") == "minimal",
        sealed=(report.get("checks") or {}).get("sealed"),
    )


def entry_fields(entry: Any, language: str) -> list[EntryField]:
    """The entry's codes by name in ``language``, each with its code."""
    if not isinstance(entry, dict):
        return []
    fields = (name for name in _CODED_FIELDS if isinstance(entry.get(name), str) and entry[name])
    return [
        EntryField(name, display_name(name, entry[name], language), entry[name]) for name in fields
    ]


def _own(reason: dict[str, str]) -> bool:
    # "not valid" repeats the errors listed with it: the errors say it more precisely.
    return reason.get("code") != CERTIFICATE_INVALID


def _moment(text: Any) -> str | None:
    """``2026-11-20T07:00:00Z`` as a person reads it: ``2026-11-20 07:00 UTC`` (the seconds
    kept where they are not zero: ``2026-12-07 09:46:51 UTC``)."""
    if not isinstance(text, str) or not text:
        return None
    if len(text) == 20 and text.endswith("Z") and text[10] == "T":
        seconds = "" if text[16:19] == ":00" else text[16:19]
        return f"{text[:10]} {text[11:16]}{seconds} UTC"
    return text

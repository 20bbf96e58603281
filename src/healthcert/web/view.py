"""What the check page shows of one report: the verdict, who, until when, each rule.
Read from the report as the API returns it, so the page and the API never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from healthcert.formats import registry
from healthcert.rules.verdict import CERTIFICATE_INVALID


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


def outcome(report: dict[str, Any]) -> Outcome:
    """``report`` as shown: without a destination the colour is the report's validity."""
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
        name=_joined(holder.get("family_name"), holder.get("given_name")),
        latin_name=_joined(holder.get("family_name_latin"), holder.get("given_name_latin")),
        date_of_birth=str(holder.get("date_of_birth") or ""),
        document_number=document,
        valid_from=_moment(report.get("iat")),
        valid_until=_moment(report.get("exp")),
        rules=list(report.get("rules") or []),
        reasons=[reason for reason in report.get("verdict_reasons") or [] if _own(reason)],
        errors=list(report.get("errors") or []),
    )


def _own(reason: dict[str, str]) -> bool:
    # "not valid" repeats the errors listed with it: the errors say it more precisely.
    return reason.get("code") != CERTIFICATE_INVALID


def _moment(text: Any) -> str | None:
    """``2026-11-20T07:00:00Z`` as a person reads it: ``2026-11-20 07:00 UTC``."""
    if not isinstance(text, str) or not text:
        return None
    if len(text) == 20 and text.endswith(":00Z") and text[10] == "T":
        return f"{text[:10]} {text[11:16]} UTC"
    return text


def _joined(family: Any, given: Any) -> str:
    return " ".join(str(part) for part in (family, given) if part)

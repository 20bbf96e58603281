"""What the consular pages show of a declaration as the consular API returns it: the
traveller's answers, each piece of evidence with its colour and written verdict, and the
pre-check. Read from the same JSON, so the page and the API never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from healthcert.model.display import display_name
from healthcert.web.view import EntryField, Outcome, entry_fields, outcome


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence. ``colour`` is green (verified and accepted), yellow (verified,
    the destination's rules left something open), red (not verified or refused) or grey (a
    document a person reads); the page writes the verdict beside the colour."""

    id: int
    kind: str
    colour: str
    checked: Outcome | None = None
    entry: list[EntryField] = field(default_factory=list)
    media_type: str | None = None
    filename: str | None = None
    size: int = 0

    @property
    def is_image(self) -> bool:
        return self.media_type in {"image/png", "image/jpeg"}


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement of the pre-check: what it asks (``kind``: departure, test, vaccination,
    transit; the test kind and transit country where it has them), its status, and why."""

    kind: str
    status: str
    reason: str
    test_kind: str | None = None
    country: str | None = None
    evidence: list[int] = field(default_factory=list)


def evidence_of(declaration: dict[str, Any], language: str) -> list[Evidence]:
    return [_evidence(item, language) for item in declaration.get("evidence") or []]


def _evidence(item: dict[str, Any], language: str) -> Evidence:
    ident, kind = int(item["id"]), str(item["kind"])
    if kind == "payload":
        checked = outcome(item.get("report") or {}, language)
        return Evidence(ident, kind, checked.colour, checked=checked, entry=checked.entry)
    if kind == "record":
        record = item.get("record") or {}
        # The service's own record: no signature to check, and it is the holder's.
        return Evidence(ident, kind, "green", entry=entry_fields(record.get("entry"), language))
    return Evidence(
        ident,
        kind,
        "grey",
        media_type=item.get("media_type"),
        filename=item.get("filename"),
        size=int(item.get("size") or 0),
    )


def requirements_of(precheck: dict[str, Any], language: str) -> list[Requirement]:
    return [_requirement(found, language) for found in precheck.get("requirements") or []]


def _requirement(found: dict[str, Any], language: str) -> Requirement:
    parts = str(found["requirement"]).split(".")
    reason = found.get("reason") or {}
    text = str(reason.get(language) or reason.get("en") or "")
    # Numbered from 1, as the page numbers the evidence.
    pieces = [int(index) + 1 for index in found.get("evidence") or []]
    if parts[0] == "test" and len(parts) == 2:
        return Requirement("test", found["status"], text, test_kind=parts[1], evidence=pieces)
    if parts[0] == "transit" and len(parts) == 3:
        country = country_name(parts[1], language)
        return Requirement(
            "transit", found["status"], text, parts[2], country=country, evidence=pieces
        )
    return Requirement(parts[0], found["status"], text, evidence=pieces)


def country_name(code: str | None, language: str) -> str:
    """``DE`` as a person reads it: ``Germany (DE)``, ``德国 (DE)``."""
    if not code:
        return ""
    name = display_name("country", code, language)
    return name if name == code else f"{name} ({code})"


def moment(text: str | None) -> str:
    """An ISO time from the API as a person reads it, in UTC: ``2026-12-08 07:00 UTC``."""
    if not text:
        return ""
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return text
    if found.tzinfo is None:
        return found.strftime("%Y-%m-%d %H:%M")
    return found.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

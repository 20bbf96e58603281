"""The verification pipeline: payload text -> format -> checks -> report.

No step raises past this module: every failure becomes an error code in the report.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from healthcert import report as codes
from healthcert.formats import registry
from healthcert.formats.base import TripQuery, VerificationContext, WireFormat
from healthcert.inputs import Item
from healthcert.limits import MAX_INPUT_BYTES
from healthcert.report import Report
from healthcert.trust.store import TrustStore
from healthcert.trust.verifier import VerifierTrust

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

    from healthcert.formats.shc.issuers import ShcIssuers
    from healthcert.rules.policy import Policies
    from healthcert.trust.revocation import DccRevocations

log = logging.getLogger(__name__)

# Records an entry verdict in a report verified at a clock, and returns it (green, yellow, red).
Judge = Callable[[Report, datetime], str]
VerifyMany = Callable[[Sequence[tuple[Report, str]], VerificationContext], None]

# Tried in the registry's order; each module recognises its own payloads by looks_like().
FORMAT_MODULES = tuple(wire_format.module for wire_format in registry.FORMATS)


@cache
def _wire_format(module_name: str) -> WireFormat:
    return importlib.import_module(module_name)


def detect(payload: str) -> WireFormat | None:
    """The format of a payload. Each format's module is imported only when a payload reaches
    it: a batch of EU DCCs never loads the SMART Health Card and VDS-NC readers, which with
    what they import cost a tenth of a second before the first report."""
    for module_name in FORMAT_MODULES:
        wire_format = _wire_format(module_name)
        if wire_format.looks_like(payload):
            return wire_format
    return None


def context(
    trust: TrustStore | VerifierTrust,
    clock: datetime | None = None,
    *,
    dcc_revocations: DccRevocations | None = None,
    shc_issuers: ShcIssuers | None = None,
    health_code_revocations: frozenset[bytes] | None = None,
    vdsnc_revocations: frozenset[bytes] | None = None,
    trip: TripQuery | None = None,
    trust_note: Mapping[str, Any] | None = None,
    unseal_keys: Sequence[EllipticCurvePrivateKey] = (),
) -> VerificationContext:
    """A verification context; a clock without a time zone is taken as UTC. With
    ``dcc_revocations``, EU DCC reports carry ``checks.revocation``; ``shc_issuers`` are the
    SMART Health Card issuers trusted by URL (a ``VerifierTrust`` brings its own). With
    ``health_code_revocations`` (signature hashes, ``formats.health_code.code.revocation_hash``)
    health code reports carry ``checks.revocation``, and with ``vdsnc_revocations`` (signature
    hashes, ``formats.vdsnc.seal.revocation_hash``) VDS-NC reports do; with ``trip``, every
    report carries ``checks.trip``: only a health code for that transport and date passes it.
    With ``unseal_keys`` (border keys, ``keys.border``), sealed certificates are opened and
    their reports carry ``checks.sealed``."""
    if isinstance(trust, VerifierTrust):
        shc_issuers = shc_issuers or trust.shc_issuers
        trust = trust.store
    when = clock or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return VerificationContext(
        trust=trust,
        clock=when.astimezone(UTC),
        dcc_revocations=dcc_revocations,
        shc_issuers=shc_issuers,
        health_code_revocations=health_code_revocations,
        vdsnc_revocations=vdsnc_revocations,
        trip=trip,
        trust_note=trust_note,
        unseal_keys=tuple(unseal_keys),
    )


def verify(
    payload: str,
    *,
    trust: TrustStore | VerifierTrust,
    at: datetime | None = None,
    country: str | None = None,
    origin: str | None = None,
    language: str = "en",
    policies: Policies | None = None,
    unseal_keys: Sequence[EllipticCurvePrivateKey] = (),
) -> Report:
    """The report of one payload (``HC1:``, ``shc:/``, a VDS-NC seal, ...), verified against
    ``trust`` at ``at`` (a timezone-aware datetime; default now; a naive one is read as UTC).

    With ``country``, the report also carries the entry verdict of that destination for a
    traveller from ``origin``, under ``policies`` (default: the shipped policies and those of
    ``$HEALTHCERT_HOME``). ``unseal_keys`` open sealed certificates (``HCS1:``) sealed to them.
    Nothing a payload holds raises: every failure is a code in the report.
    """
    ctx = context(trust, at, unseal_keys=unseal_keys)
    report = verify_payload(payload, ctx)
    if country is not None:
        judge_for_journey(country, origin, language, policies)(report, ctx.clock)
    return report


def judge_for_journey(
    country: str, origin: str | None, language: str, policies: Policies | None
) -> Judge:
    """The judge of a journey to ``country``, under ``policies`` or the installed ones."""
    # The rules engine loads only when a destination is asked for: `healthcert verify`
    # without one never pays for it.
    from healthcert.rules.policy import load_policies
    from healthcert.rules.verdict import judge_for

    chosen = policies if policies is not None else load_policies()
    return judge_for(country.upper(), policies=chosen, origin=origin, language=language)


def verify_payload(payload: str, ctx: VerificationContext, *, label: str | None = None) -> Report:
    """Verify one payload text (as read from a QR code, a file or a line)."""
    return verify_payloads([(payload, label)], ctx)[0]


def verify_item(item: Item, ctx: VerificationContext) -> Report:
    """Verify an input as read by ``healthcert.inputs``; a read failure is its own report."""
    return verify_items([item], ctx)[0]


def verify_items(items: Sequence[Item], ctx: VerificationContext) -> list[Report]:
    """Verify inputs as read by ``healthcert.inputs``, one report each, in their order."""
    reports: list[Report | None] = []
    readable: list[tuple[str, str | None]] = []
    for item in items:
        if item.payload is None:
            report = Report(input=item.label)
            report.fail(
                item.error_code or codes.INPUT_UNREADABLE, item.error_message or "", "decode"
            )
            reports.append(report)
        else:
            reports.append(None)
            readable.append((item.payload, item.label))
    verified = iter(verify_payloads(readable, ctx))
    return [report if report is not None else next(verified) for report in reports]


def verify_payloads(
    payloads: Sequence[tuple[str, str | None]], ctx: VerificationContext
) -> list[Report]:
    """Verify (payload, label) pairs, one report each, in their order.

    The payloads of one format are verified together, which formats that work stage by stage
    over a batch do faster than one by one.
    """
    reports: list[Report] = []
    by_format: dict[WireFormat, list[tuple[int, str]]] = {}
    for index, (payload, label) in enumerate(payloads):
        report = Report(input=payload if label is None else label)
        reports.append(report)
        text = _readable_text(report, payload)
        wire_format = detect(text) if text else None
        if wire_format is not None:
            by_format.setdefault(wire_format, []).append((index, text))
        elif text:
            report.fail(codes.PREFIX_INVALID, _unknown_format_message(), check="decode")
    for wire_format, work in by_format.items():
        _run_format(wire_format, [(reports[index], text) for index, text in work], ctx)
    if ctx.trip is not None:
        _refuse_without_trip(reports, ctx.trip)
    if ctx.trust_note is not None:
        for report in reports:
            report.extra["trust"] = dict(ctx.trust_note)
    return reports


def _refuse_without_trip(reports: Sequence[Report], trip: TripQuery) -> None:
    """A verifier checking travellers for one trip accepts only health codes for it: any other
    payload names no trip (a health code's own reader compares the trip it names)."""
    for report in reports:
        if report.format != registry.HEALTH_CODE:
            report.fail(codes.TRIP_MISMATCH, f"not a health code: it names no trip, not {trip}")
            report.checks["trip"] = False


def _readable_text(report: Report, payload: str) -> str:
    """The payload without surrounding blanks, or "" after recording why there is none."""
    text = payload.strip()
    # The limit is in bytes: count UTF-8 only for the rare input that is not ASCII.
    if len(text) > MAX_INPUT_BYTES or (
        not text.isascii() and len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES
    ):
        report.fail(
            codes.INPUT_TOO_LARGE,
            f"the input is larger than {MAX_INPUT_BYTES} bytes",
            check="decode",
        )
        return ""
    report.payload = text
    if not text:
        report.fail(codes.INPUT_EMPTY, "the input is empty", check="decode")
    return text


def _run_format(
    wire_format: WireFormat, work: list[tuple[Report, str]], ctx: VerificationContext
) -> None:
    verify_many: VerifyMany | None = getattr(wire_format, "verify_many", None)
    if verify_many is not None and len(work) > 1:
        try:
            verify_many(work, ctx)
            return
        except Exception:  # a defect in one payload must not cost the others their answer
            log.exception("internal error while verifying a batch of %s payloads", wire_format.name)
            for report, _ in work:
                report.restart()
    for report, text in work:
        try:
            wire_format.verify_into(report, text, ctx)
        except Exception:  # a defect must not cost the operator an answer, but it is logged loudly
            log.exception("internal error while verifying a %s payload", wire_format.name)
            report.fail(
                codes.INTERNAL_ERROR, "an internal error stopped verification", check="decode"
            )


def _unknown_format_message() -> str:
    return (
        "not a health certificate payload this verifier reads: expected an EU DCC (HC1:), "
        "a SMART Health Card (shc:/ or a JWS), an ICAO VDS-NC seal (JSON), a health code "
        "(HCD1:) or a sealed certificate (HCS1:)"
    )

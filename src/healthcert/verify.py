"""The verification pipeline: payload text -> format -> checks -> report.

No step raises past this module: every failure becomes an error code in the report.
"""

from __future__ import annotations

import importlib
import logging
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from healthcert import report as codes
from healthcert.formats.base import VerificationContext, WireFormat
from healthcert.inputs import Item
from healthcert.limits import MAX_INPUT_BYTES
from healthcert.report import Report
from healthcert.trust.store import TrustStore

if TYPE_CHECKING:
    from healthcert.trust.revocation import DccRevocations
    from healthcert.trust.shc_issuers import ShcIssuers

log = logging.getLogger(__name__)

# Tried in this order; each module recognises its own payloads by looks_like().
FORMAT_MODULES = (
    "healthcert.formats.hcert",
    "healthcert.formats.shc",
    "healthcert.formats.vdsnc",
)


@cache
def wire_formats() -> tuple[WireFormat, ...]:
    return tuple(importlib.import_module(name) for name in FORMAT_MODULES)


def detect(payload: str) -> WireFormat | None:
    for wire_format in wire_formats():
        if wire_format.looks_like(payload):
            return wire_format
    return None


def context(
    trust: TrustStore,
    clock: datetime | None = None,
    *,
    dcc_revocations: DccRevocations | None = None,
    shc_issuers: ShcIssuers | None = None,
) -> VerificationContext:
    """A verification context; a clock without a time zone is taken as UTC. With
    ``dcc_revocations``, EU DCC reports carry ``checks.revocation``; ``shc_issuers`` are the
    SMART Health Card issuers trusted by URL."""
    when = clock or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return VerificationContext(
        trust=trust,
        clock=when.astimezone(UTC),
        dcc_revocations=dcc_revocations,
        shc_issuers=shc_issuers,
    )


def verify_payload(payload: str, ctx: VerificationContext, *, label: str | None = None) -> Report:
    """Verify one payload text (as read from a QR code, a file or a line)."""
    report = Report(input=payload if label is None else label)
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
        return report
    report.payload = text
    if not text:
        report.fail(codes.INPUT_EMPTY, "the input is empty", check="decode")
        return report
    wire_format = detect(text)
    if wire_format is None:
        report.fail(codes.PREFIX_INVALID, _unknown_format_message(), check="decode")
        return report
    _run_format(wire_format, report, text, ctx)
    return report


def verify_item(item: Item, ctx: VerificationContext) -> Report:
    """Verify an input as read by ``healthcert.inputs``; a read failure is its own report."""
    if item.payload is None:
        report = Report(input=item.label)
        report.fail(item.error_code or codes.INPUT_UNREADABLE, item.error_message or "", "decode")
        return report
    return verify_payload(item.payload, ctx, label=item.label)


def _run_format(
    wire_format: WireFormat, report: Report, text: str, ctx: VerificationContext
) -> None:
    try:
        wire_format.verify_into(report, text, ctx)
    except Exception:  # a defect must not cost the operator an answer, but it is logged loudly
        log.exception("internal error while verifying a %s payload", wire_format.name)
        report.fail("INTERNAL_ERROR", "an internal error stopped verification", check="decode")


def _unknown_format_message() -> str:
    return (
        "not a health certificate payload this verifier reads: expected an EU DCC (HC1:), "
        "a SMART Health Card (shc:/ or a JWS) or an ICAO VDS-NC seal (JSON)"
    )

"""What every wire format offers to the verification pipeline, and the checks they share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from healthcert import report as codes
from healthcert.model.kinds import EntryKind

if TYPE_CHECKING:
    from healthcert.report import Report
    from healthcert.trust.entry import TrustedKey
    from healthcert.trust.revocation import DccRevocations
    from healthcert.trust.shc_issuers import ShcIssuers
    from healthcert.trust.store import TrustStore


@dataclass(frozen=True, slots=True)
class VerificationContext:
    """What a verifier brings: the keys it trusts and the clock it validates at (aware, UTC).

    ``shc_issuers`` binds SMART Health Card issuer URLs to their keys and revocation lists;
    ``dcc_revocations`` is the EU DCC revocation list (hash form) the verifier consults.
    """

    trust: TrustStore
    clock: datetime
    shc_issuers: ShcIssuers | None = None
    dcc_revocations: DccRevocations | None = None


class WireFormat(Protocol):
    """A format module: it recognises its payloads and verifies them into a report."""

    name: str

    def looks_like(self, payload: str) -> bool: ...

    def verify_into(self, report: Report, payload: str, context: VerificationContext) -> None: ...


def from_timestamp(seconds: int | float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def check_validity_period(
    report: Report,
    *,
    issued_at: datetime | None,
    expires: datetime | None,
    clock: datetime,
    key: TrustedKey | None,
) -> None:
    """Signer not-before <= issued-at <= clock <= expiry <= signer not-after, each bound its code:
    DSC_NOT_YET_VALID, NOT_YET_VALID, EXPIRED and DSC_EXPIRED, in that order.

    Bounds that are absent (no expiry, a bare key without a certificate) are not checked.
    """
    before = len(report.errors)
    if issued_at is not None and issued_at > clock:
        report.fail(
            codes.NOT_YET_VALID, f"issued at {issued_at:%Y-%m-%dT%H:%M:%SZ}, after the clock"
        )
    if expires is not None and expires < clock:
        report.fail(codes.EXPIRED, f"expired at {expires:%Y-%m-%dT%H:%M:%SZ}")
    if key is not None:
        _check_signer_window(report, issued_at, expires, clock, key)
    if len(report.errors) == before:
        report.passed("validity_period")
    else:
        report.checks["validity_period"] = False


def _check_signer_window(
    report: Report,
    issued_at: datetime | None,
    expires: datetime | None,
    clock: datetime,
    key: TrustedKey,
) -> None:
    # Without an iat or exp claim, the clock stands in for the missing bound.
    start = issued_at if issued_at is not None else clock
    end = expires if expires is not None else clock
    if key.not_before is not None and start < key.not_before:
        report.fail(codes.DSC_NOT_YET_VALID, "signed before its signer certificate was valid")
    if key.not_after is not None and end > key.not_after:
        report.fail(codes.DSC_EXPIRED, "valid beyond the end of its signer certificate")


def check_key_usage(report: Report, kind: EntryKind | None, key: TrustedKey | None) -> None:
    """A key may sign only the entry kinds its certificate's extended key usage allows."""
    if kind is None or key is None:
        return
    if kind in key.types:
        report.passed("key_usage")
    else:
        allowed = ", ".join(sorted(key.types)) or "nothing"
        report.fail(
            codes.KEY_USAGE_MISMATCH,
            f"the signer may sign {allowed}, not {kind.value}",
            check="key_usage",
        )

"""Real certificates for the policy and verdict tests: signed by healthcert with real keys.

An :class:`Issuer` is a country's CSCA and DSC made by ``healthcert.keys``; ``issue`` signs a
canonical certificate as an ``HC1:`` payload, and ``verify`` runs the real verification pipeline
against a trust store holding that DSC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.issuance import IssueRequest, issue_hc1
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from
from healthcert.report import Report
from healthcert.trust.certificates import import_certificates
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify_payload

# The validation clock of most tests: rules are in force from 2026-06-01.
CLOCK = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
KEYS_MADE = datetime(2026, 1, 1, tzinfo=UTC)

COMIRNATY = "EU/1/20/1528"
PCR = "LP6464-4"
ANTIGEN = "LP217198-3"
IGG = "94563-4"
NOT_DETECTED = "260415000"
DETECTED = "260373001"

HOLDER: dict[str, Any] = {
    "family_name": "王",
    "given_name": "小明",
    "family_name_latin": "WANG",
    "given_name_latin": "XIAOMING",
    "date_of_birth": "1985-07-21",
}


def vaccination(
    *,
    days_before: int = 30,
    product: str = COMIRNATY,
    dose: int = 2,
    total: int = 2,
    country: str = "DE",
) -> dict[str, Any]:
    """A vaccination entry whose last dose was ``days_before`` days before CLOCK."""
    return {
        "kind": "vaccination",
        "vaccine": "1119349007",
        "product": product,
        "manufacturer": "ORG-100030215",
        "dose_number": dose,
        "total_doses": total,
        "date": (CLOCK.date() - timedelta(days=days_before)).isoformat(),
        "country": country,
        "issuer": "Robert Koch-Institut",
        "certificate_id": "URN:UVCI:01:DE:HEALTHCERT0000000001#Q",
    }


def lab_test(
    *, test_type: str = PCR, hours_before: float = 12, result: str = NOT_DETECTED
) -> dict[str, Any]:
    """A test entry sampled ``hours_before`` hours before CLOCK."""
    sampled = CLOCK - timedelta(hours=hours_before)
    return {
        "kind": "test",
        "test_type": test_type,
        "test_name": "healthcert test assay",
        "sample_time": sampled.isoformat(),
        "result": result,
        "centre": "Testzentrum Berlin Hbf",
        "country": "DE",
        "issuer": "Robert Koch-Institut",
        "certificate_id": "URN:UVCI:01:DE:HEALTHCERT0000000002#R",
    }


def recovery(*, first_positive: date, valid_from: date, valid_until: date) -> dict[str, Any]:
    return {
        "kind": "recovery",
        "first_positive": first_positive.isoformat(),
        "country": "DE",
        "issuer": "Robert Koch-Institut",
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(),
        "certificate_id": "URN:UVCI:01:DE:HEALTHCERT0000000003#S",
    }


@dataclass(frozen=True)
class Issuer:
    """A country that issues certificates, and a verifier that trusts its DSC."""

    country: str
    signer: Signer
    trust: TrustStore
    dsc_pem: bytes

    def issue(
        self, entry: dict[str, Any], *, issued_at: datetime | None = None, valid_days: int = 30
    ) -> str:
        """An ``HC1:`` payload; issued an hour before CLOCK unless ``issued_at`` says."""
        request = IssueRequest.model_validate(
            {"holder": HOLDER, "entry": entry, "valid_days": valid_days}
        )
        when = issued_at or CLOCK - timedelta(hours=1)
        return issue_hc1(request, self.signer, now=when)

    def verify(self, payload: str, clock: datetime = CLOCK) -> Report:
        return verify_payload(payload, context(self.trust, clock))


def make_issuer(country: str = "DE") -> Issuer:
    csca = create_csca(country, now=KEYS_MADE)
    dsc = create_dsc(csca, now=KEYS_MADE)
    pem = dsc.certificate.public_bytes(Encoding.PEM)
    trust = TrustStore()
    trust.add_batch(import_certificates(pem, f"dsc-{country}.pem"))
    return Issuer(country, signer_from(dsc), trust, pem)

"""How long the automatic pre-check of one health declaration takes.

Run: ``.venv/bin/python bench/bench_precheck.py [--seconds 0.4]``

The declaration is a realistic one for the example CN policy, checked again in Singapore on the
way: from Berlin via Singapore, with a PCR and an IgG antibody certificate from a listed Berlin
laboratory, the same two taken again in Singapore, and a vaccination certificate; the
certificates are real ``HC1:`` payloads signed and verified by healthcert, their reports handed
over as the dicts a service stores. The pre-check
itself verifies no signature, so it has no cryptographic step to be measured against: one
ECDSA P-256 verification, timed in the same run, is printed beside it only as the yardstick
every healthcert bench gives. The budget is 1 ms a declaration for the pre-check alone (the
service's pre-check plus decision must stay under 20 ms).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from bench_certlogic import _ecdsa_verifications, _per_second
from healthcert.declarations.precheck import (
    DeclarationFacts,
    EvidenceFacts,
    TransitStop,
    precheck,
)
from healthcert.issuance import IssueRequest, issue_hc1
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import signer_from
from healthcert.model.codes import (
    RESULT_NOT_DETECTED,
    TEST_TYPE_ANTIBODY_IGG,
    TEST_TYPE_NAAT,
)
from healthcert.rules.policy import load_policies
from healthcert.trust.certificates import import_certificates
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify_payload

BUDGET_SECONDS = 1e-3
CLOCK = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DEPARTURE = CLOCK + timedelta(hours=12)
ONWARD = DEPARTURE + timedelta(hours=20)
CHECKED = ONWARD - timedelta(hours=2)  # in Singapore, before the flight that reaches CN
HOLDER = {
    "family_name": "王",
    "given_name": "小明",
    "family_name_latin": "WANG",
    "given_name_latin": "XIAOMING",
    "date_of_birth": "1985-07-21",
}


def _test(test_type: str, sampled: datetime, centre: str, country: str) -> dict[str, Any]:
    return {
        "kind": "test",
        "test_type": test_type,
        "sample_time": sampled.isoformat(),
        "result": RESULT_NOT_DETECTED,
        "centre": centre,
        "country": country,
        "issuer": "Example Laboratory",
        "certificate_id": "URN:UVCI:01:DE:HEALTHCERT0000000002#R",
    }


def _vaccination() -> dict[str, Any]:
    return {
        "kind": "vaccination",
        "vaccine": "1119349007",
        "product": "EU/1/20/1528",
        "manufacturer": "ORG-100030215",
        "dose_number": 2,
        "total_doses": 2,
        "date": "2026-09-01",
        "country": "DE",
        "issuer": "Robert Koch-Institut",
        "certificate_id": "URN:UVCI:01:DE:HEALTHCERT0000000001#Q",
    }


def _evidence() -> list[EvidenceFacts]:
    """Real certificates, signed and verified once; the pre-check sees their reports."""
    made = CLOCK - timedelta(days=300)
    dsc = create_dsc(create_csca("DE", now=made), now=made)
    trust = TrustStore()
    trust.add_batch(import_certificates(dsc.certificate.public_bytes(_pem()), "dsc.pem"))
    signer = signer_from(dsc)
    berlin = DEPARTURE - timedelta(hours=24)
    singapore = ONWARD - timedelta(hours=10)
    entries = [
        _test(TEST_TYPE_NAAT, berlin, "Example Laboratory Berlin", "DE"),
        _test(TEST_TYPE_ANTIBODY_IGG, berlin, "Example Laboratory Berlin", "DE"),
        _test(TEST_TYPE_NAAT, singapore, "Example Laboratory Singapore", "SG"),
        _test(TEST_TYPE_ANTIBODY_IGG, singapore, "Example Laboratory Singapore", "SG"),
        _vaccination(),
    ]
    evidence = []
    for index, entry in enumerate(entries):
        request = IssueRequest.model_validate({"holder": HOLDER, "entry": entry})
        payload = issue_hc1(request, signer, now=min(CHECKED, _issued(entry)))
        report = verify_payload(payload, context(trust, CHECKED))
        if not report.valid:
            raise SystemExit(f"setup: certificate {index} did not verify: {report.error_codes}")
        evidence.append(EvidenceFacts("certificate", id=f"cert-{index}", report=report.to_dict()))
    return evidence


def _issued(entry: dict[str, Any]) -> datetime:
    """An hour after sampling; a vaccination long before."""
    if entry["kind"] == "test":
        return datetime.fromisoformat(entry["sample_time"]) + timedelta(hours=1)
    return CLOCK - timedelta(days=60)


def _pem() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.PEM


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.4, help="length of each timing run")
    seconds = parser.parse_args().seconds

    policy = load_policies().get("CN")
    if policy is None:
        raise SystemExit("setup: no CN policy")
    declaration = DeclarationFacts(
        "DE", "Berlin", "CN", DEPARTURE, (TransitStop("SG", ONWARD, "Singapore"),)
    )
    evidence = _evidence()
    result = precheck(declaration, evidence, policy, CHECKED)
    if not result.auto_approve:
        raise SystemExit(f"setup: the declaration should pass: {result.to_dict()}")

    rate = _per_second(lambda: precheck(declaration, evidence, policy, CHECKED), seconds)
    verify = _ecdsa_verifications(seconds)
    per_declaration = 1 / rate
    print(
        f"pre-check: {len(result.requirements)} requirements, {len(evidence)} certificates, "
        "one transit country (no signature is verified in it)"
    )
    print(f"  pre-check per declaration          {per_declaration * 1e6:9.1f} µs")
    print(f"ECDSA P-256 verify (yardstick only)  {1e6 / verify:9.1f} µs")
    status = "meets" if per_declaration <= BUDGET_SECONDS else "OVER"
    print(f"budget {BUDGET_SECONDS * 1e3:g} ms a declaration: {status}")


if __name__ == "__main__":
    main()

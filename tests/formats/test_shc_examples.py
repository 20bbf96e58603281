"""The SMART Health Cards framework examples: verified with their issuer's keys and CRL."""

import base64
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from healthcert import report as codes
from healthcert.formats.base import VerificationContext
from healthcert.formats.shc import card as shc
from healthcert.formats.shc import issuers as shc_issuers
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.model.certificate import Certificate
from healthcert.report import Report
from healthcert.trust.entry import TrustedKey
from healthcert.trust.store import Anchor, ImportBatch, TrustStore

EXAMPLES = Path(__file__).parents[1] / "data" / "shc" / "examples"
ISS = "https://spec.smarthealth.cards/examples/issuer"
PLAIN_KID = "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
X5C_KID = "EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw"
# The examples were signed on 2023-06-22 (nbf 1687450764); example 3 expires on 2024-06-21.
INSIDE = datetime(2023, 7, 1, tzinfo=UTC)

ANYPERSON = {
    "family_name": "Anyperson",
    "given_name": "John B.",
    "family_name_latin": "ANYPERSON",
    "given_name_latin": "JOHN<B",
    "date_of_birth": "1951-01-20",
}
# Three doses: CVX 207, 207 (Moderna) and 229 (Moderna bivalent); the latest is kept.
MODERNA_THIRD_DOSE = {
    "kind": "vaccination",
    "disease": "840539006",
    "vaccine": "1119349007",
    "product": "EU/1/20/1507",
    "manufacturer": "ORG-100031184",
    "dose_number": 3,
    "total_doses": 3,
    "date": "2022-09-05",
    "country": None,  # a card names no country, and no issuer's country was given
    "issuer": ISS,
}


def _text(name: str) -> str:
    return (EXAMPLES / name).read_text().strip()


def _qr(number: str) -> str:
    if number == "02":
        return "\n".join(_text(f"example-02-f-qr-code-numeric-value-{i}.txt") for i in range(3))
    return _text(f"example-{number}-f-qr-code-numeric-value-0.txt")


def _issuers() -> ShcIssuers:
    return shc_issuers.load_issuer_binding(f"{ISS}={EXAMPLES / 'issuer'}")


def _verify(
    payload: str,
    *,
    clock: datetime = INSIDE,
    issuers: ShcIssuers | None = None,
    trust: TrustStore | None = None,
) -> Report:
    context = VerificationContext(
        trust=trust if trust is not None else TrustStore(),
        clock=clock,
        shc_issuers=issuers if issuers is not None else _issuers(),
    )
    report = Report(input="example")
    shc.verify_into(report, payload, context)
    return report


def test_example_0_three_vaccine_doses() -> None:
    report = _verify(_qr("00"))
    assert report.valid, report.errors
    assert report.format == "shc"
    assert report.issuer == {"country": None, "kid": PLAIN_KID, "iss": ISS}
    assert report.checks["revocation"] is True  # its rid is not in the CRL
    assert report.certificate == {
        "holder": ANYPERSON,
        "entry": {**MODERNA_THIRD_DOSE, "certificate_id": "MKyCxh7p6uQ"},
        "schema_version": "1.3.0",
    }
    assert Certificate.model_validate(report.certificate).kind == "vaccination"


def test_example_0_as_bare_jws_and_as_file_reads_the_same() -> None:
    qr = _verify(_qr("00")).certificate
    assert _verify(_text("example-00-d-jws.txt")).certificate == qr
    file_text = _text("example-00-e-file.smart-health-card")
    assert shc.cards_from_file(file_text) == [_text("example-00-d-jws.txt")]
    assert _verify(file_text).certificate == qr


def test_example_1_is_signed_with_the_x5c_key_and_has_no_rid() -> None:
    report = _verify(_qr("01"))
    assert report.valid, report.errors
    assert report.issuer["kid"] == X5C_KID
    assert report.checks.get("revocation") is None  # no crlVersion on this key, no rid
    certificate = report.certificate
    assert certificate is not None
    assert certificate["holder"] == ANYPERSON
    assert certificate["entry"] == {
        **MODERNA_THIRD_DOSE,
        "certificate_id": certificate["entry"]["certificate_id"],
    }
    assert certificate["entry"]["certificate_id"].startswith("shc:")


def test_example_1_x5c_counts_once_its_root_is_trusted() -> None:
    jwks = json.loads((EXAMPLES / "issuer" / ".well-known" / "jwks.json").read_text())
    x5c_root = jwks["keys"][1]["x5c"][-1]
    root = x509.load_der_x509_certificate(base64.b64decode(x5c_root))
    trust = TrustStore()
    trust.add_anchor(Anchor(certificate=root, country="US", source="test"))
    report = _verify(_qr("01"), trust=trust)
    # The example leaf certificate expired on 2022-06-01, before the card was signed.
    assert report.error_codes == [codes.CHAIN_INVALID]
    assert report.checks["signature"] is False


def test_example_2_over_three_qr_codes_is_authentic_but_no_health_certificate() -> None:
    report = _verify(_qr("02"))
    assert report.checks["decode"] is True
    assert report.checks["signature"] is True
    assert report.checks["validity_period"] is True
    assert report.checks["revocation"] is True
    assert report.error_codes == [codes.CONTENT_UNSUPPORTED]
    assert report.certificate is None
    assert report.extra["shc"] == {
        "resources": {"DiagnosticReport": 1, "Specimen": 3, "Observation": 51}
    }


def test_example_2_chunks_in_any_order_and_grouped_from_a_list() -> None:
    chunks = [_text(f"example-02-f-qr-code-numeric-value-{i}.txt") for i in range(3)]
    assert _verify(" ".join(reversed(chunks))).checks["signature"] is True
    payloads = shc.group_chunks(["HC1:x", chunks[1], chunks[0], "shc:/56", chunks[2]])
    assert payloads == ["HC1:x", "\n".join([chunks[1], chunks[0], chunks[2]]), "shc:/56"]


def test_example_2_chunk_alone_is_refused() -> None:
    report = _verify(_text("example-02-f-qr-code-numeric-value-1.txt"))
    assert report.error_codes == [codes.CHUNKS_INVALID]
    assert report.checks["decode"] is False


def test_example_3_is_revoked_by_the_crl() -> None:
    report = _verify(_qr("03"))
    assert report.error_codes == [codes.REVOKED]
    assert report.checks["revocation"] is False
    assert report.checks["signature"] is True
    assert report.certificate is not None
    assert report.certificate["holder"] == {
        "family_name": "Revoked",
        "given_name": "Johnny",
        "family_name_latin": "REVOKED",
        "given_name_latin": "JOHNNY",
        "date_of_birth": "1960-04-22",
    }
    assert report.certificate["entry"] == {
        **MODERNA_THIRD_DOSE,
        "dose_number": 2,
        "total_doses": 2,
        "date": "2021-03-29",
        "certificate_id": "vwAjHdarZuc",
    }


def test_a_crl_timestamp_before_the_card_does_not_revoke_it() -> None:
    issuers = _issuers()
    crl: dict[str, Any] = {
        "kid": PLAIN_KID,
        "method": "rid",
        "ctr": 2,
        "rids": ["vwAjHdarZuc.1600000000"],
    }
    issuers.add_crl(ISS, crl)
    report = _verify(_qr("03"), issuers=issuers)
    assert report.valid, report.errors
    assert report.checks["revocation"] is True
    assert "revocation" not in report.extra  # a CRL newer than the JWK's crlVersion is fine


def test_without_the_crl_revocation_is_not_checked_and_the_report_says_so() -> None:
    issuers = ShcIssuers()
    issuers.add_jwks(
        ISS, json.loads((EXAMPLES / "issuer" / ".well-known" / "jwks.json").read_text())
    )
    report = _verify(_qr("03"), issuers=issuers)
    assert report.valid
    assert report.checks.get("revocation") is None
    assert "not checked" in report.extra["revocation"]


@pytest.mark.parametrize(
    ("clock", "code"),
    [
        (datetime(2023, 6, 1, tzinfo=UTC), codes.NOT_YET_VALID),
        (datetime(2024, 7, 1, tzinfo=UTC), codes.EXPIRED),
    ],
)
def test_example_3_outside_its_validity(clock: datetime, code: str) -> None:
    issuers = ShcIssuers()
    issuers.add_jwks(
        ISS, json.loads((EXAMPLES / "issuer" / ".well-known" / "jwks.json").read_text())
    )
    report = _verify(_qr("03"), clock=clock, issuers=issuers)
    assert report.error_codes == [code]
    assert report.checks["validity_period"] is False


def test_named_issuers_give_country_and_issuer_name() -> None:
    issuers = ShcIssuers()
    issuers.add_vci_directory(
        {
            "issuerInfo": [
                {
                    "issuer": {"iss": ISS, "name": "SMART Health Card examples"},
                    "keys": json.loads(
                        (EXAMPLES / "issuer" / ".well-known" / "jwks.json").read_text()
                    )["keys"],
                }
            ]
        }
    )
    issuers.add_issuer(ISS, country="US")
    report = _verify(_qr("00"), issuers=issuers)
    assert report.issuer == {
        "country": "US",
        "kid": PLAIN_KID,
        "iss": ISS,
        "name": "SMART Health Card examples",
    }
    assert report.certificate is not None
    assert report.certificate["entry"]["country"] == "US"
    assert report.certificate["entry"]["issuer"] == "SMART Health Card examples"


@pytest.mark.parametrize("trusted", [ISS + "/", ISS.replace("https://", "http://"), ISS + "/x"])
def test_issuer_urls_match_exactly(trusted: str) -> None:
    issuers = shc_issuers.load_issuer_binding(f"{trusted}={EXAMPLES / 'issuer'}")
    report = _verify(_qr("00"), issuers=issuers)
    assert report.error_codes == [codes.ISSUER_UNKNOWN]
    assert report.checks["signature"] is False


def test_keys_in_the_trust_store_bound_to_the_issuer_are_used_too() -> None:
    issuer = _issuers().issuer(ISS)
    assert issuer is not None
    key: TrustedKey = issuer.keys[PLAIN_KID].trusted
    trust = TrustStore()
    trust.add_batch(ImportBatch(keys=[key]))
    report = _verify(_qr("00"), issuers=ShcIssuers(), trust=trust)
    assert report.valid, report.errors
    other = TrustStore()
    other.add_batch(ImportBatch(keys=[dataclasses.replace(key, kid=b"other")]))
    assert _verify(_qr("00"), issuers=ShcIssuers(), trust=other).error_codes == [codes.KID_UNKNOWN]

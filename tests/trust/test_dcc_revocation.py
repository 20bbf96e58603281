"""EU DCC revocation in hash form, consulted by the verification pipeline when given."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import signer_from
from healthcert.report import Report
from healthcert.trust.revocation import (
    COUNTRY_UCI,
    SIGNATURE,
    UCI,
    DccRevocations,
    hashes_of,
    revocation_hash,
    signature_part,
)
from healthcert.trust.store import ImportBatch, TrustStore
from healthcert.verification import context, verify_payload

UVCI = "URN:UVCI:01:CN:TESTREVOCATION0000001#K"


@pytest.fixture(scope="module")
def signed() -> tuple[str, TrustStore]:
    from healthcert.trust.certificates import read_facts, trusted_key

    dsc = create_dsc(create_csca("CN"))
    signer = signer_from(dsc)
    dcc = {
        "ver": "1.3.0",
        "nam": {"fn": "Wang", "fnt": "WANG", "gn": "Xiaoming", "gnt": "XIAOMING"},
        "dob": "1985-07-21",
        "v": [
            {
                "tg": "840539006",
                "vp": "J07BX03",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": 2,
                "sd": 2,
                "dt": "2026-09-14",
                "co": "CN",
                "is": "NHC",
                "ci": UVCI,
            }
        ],
    }
    now = datetime.now(UTC).replace(microsecond=0)
    payload = eu_dcc.encode(
        dcc,
        issuer_country="CN",
        issued_at=now,
        expires=now.replace(year=now.year + 1),
        signer=signer,
    )
    store = TrustStore()
    facts = read_facts(dsc.certificate.public_bytes(Encoding.DER))
    store.add_batch(ImportBatch(keys=[trusted_key(facts, "test")]))
    return payload, store


def _verify(payload: str, store: TrustStore, revoked: DccRevocations | None) -> Report:
    return verify_payload(payload, context(store, dcc_revocations=revoked))


@pytest.mark.parametrize("kind", [UCI, COUNTRY_UCI, SIGNATURE])
def test_each_hash_type_revokes(signed: tuple[str, TrustStore], kind: str) -> None:
    payload, store = signed
    signature = eu_dcc.decode(payload).sign1.signature
    listed = DccRevocations.of([(kind, hashes_of(UVCI, "CN", signature)[kind])])
    report = _verify(payload, store, listed)
    assert report.checks["revocation"] is False
    assert "REVOKED" in report.error_codes
    assert not report.valid


def test_an_unlisted_certificate_passes_and_no_list_means_no_check(
    signed: tuple[str, TrustStore],
) -> None:
    payload, store = signed
    other = DccRevocations.of([(UCI, revocation_hash(b"URN:UVCI:01:CN:OTHER#A"))])
    report = _verify(payload, store, other)
    assert report.valid and report.checks["revocation"] is True
    assert "revocation" not in _verify(payload, store, None).checks


def test_the_signature_hash_covers_r_only_for_ecdsa() -> None:
    signature = bytes(range(64))
    assert signature_part(signature) == signature[:32]
    assert signature_part(bytes(384)) == bytes(384)
    assert len(revocation_hash(b"x")) == 16

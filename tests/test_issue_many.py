"""Issuing EU DCCs together: one outcome per request, in order, each as issuing it alone gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.errors import RequestError
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.eu_dcc.mapping import to_dcc
from healthcert.issuance import IssueRequest, issue_hc1, issue_hc1_many
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from
from healthcert.model.kinds import EntryKind
from healthcert.trust.certificates import import_certificates
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify_payload

from .rules.certs import CLOCK, KEYS_MADE, lab_test, vaccination

HOLDER = {"family_name": "Musterfrau", "given_name": "Erika", "date_of_birth": "1964-08-12"}
ISSUED = CLOCK - timedelta(hours=1)


def _request(entry: dict[str, Any], number: int) -> IssueRequest:
    entry = {**entry, "certificate_id": f"URN:UVCI:01:DE:MANY{number:012d}#A"}
    return IssueRequest.model_validate({"holder": HOLDER, "entry": entry, "valid_days": 30})


@pytest.fixture(scope="module")
def test_signer() -> tuple[Signer, TrustStore]:
    """A DSC that may sign test results only."""
    csca = create_csca("DE", now=KEYS_MADE)
    dsc = create_dsc(csca, [EntryKind.TEST], now=KEYS_MADE)
    trust = TrustStore()
    trust.add_batch(import_certificates(dsc.certificate.public_bytes(Encoding.PEM), "dsc.pem"))
    return signer_from(dsc), trust


def test_outcomes_keep_the_order_and_refuse_only_what_the_signer_may_not_sign(
    test_signer: tuple[Signer, TrustStore],
) -> None:
    signer, trust = test_signer
    # More than one group of signatures, with refused requests inside and between groups.
    refused = {0, 31, 32, 50, 69}
    requests = [
        _request(vaccination() if number in refused else lab_test(), number) for number in range(70)
    ]
    outcomes = issue_hc1_many(requests, signer, now=ISSUED)
    assert len(outcomes) == len(requests)
    for number, (request, outcome) in enumerate(zip(requests, outcomes, strict=True)):
        if number in refused:
            assert isinstance(outcome, RequestError)
            assert "may not sign vaccination" in str(outcome)
            continue
        assert isinstance(outcome, str)
        report = verify_payload(outcome, context(trust, CLOCK))
        assert report.valid, report.errors
        decoded = eu_dcc.decode(outcome)
        assert decoded.dcc == to_dcc(request)
        assert decoded.issued_at == int(ISSUED.timestamp())
        assert decoded.expires == int((ISSUED + timedelta(days=30)).timestamp())


def test_issuing_alone_gives_the_same_certificate(test_signer: tuple[Signer, TrustStore]) -> None:
    signer, _ = test_signer
    request = _request(lab_test(), 1)
    (together,) = issue_hc1_many([request], signer, now=ISSUED)
    alone = issue_hc1(request, signer, now=ISSUED)
    assert isinstance(together, str)
    # ECDSA signatures are randomised: the same claims, not the same bytes.
    assert eu_dcc.decode(together).claims == eu_dcc.decode(alone).claims


def test_issuing_alone_raises_what_the_batch_reports(
    test_signer: tuple[Signer, TrustStore],
) -> None:
    signer, _ = test_signer
    with pytest.raises(RequestError, match="may not sign vaccination"):
        issue_hc1(_request(vaccination(), 1), signer, now=ISSUED)


def test_a_signer_without_a_country_refuses_the_whole_batch(
    test_signer: tuple[Signer, TrustStore],
) -> None:
    signer, _ = test_signer
    with pytest.raises(RequestError, match="no country"):
        issue_hc1_many([_request(lab_test(), 1)], replace(signer, country=None), now=ISSUED)


def test_nothing_to_issue() -> None:
    assert issue_hc1_many([], signer_from(create_dsc(create_csca("DE")))) == []

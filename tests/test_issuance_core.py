"""The one issuance core (``issue.issue_many``): every format, one outcome per request in
order, certificate ids given by the caller, one expiry rule, and refusals that concern the
whole call raised."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

import pytest

from healthcert.errors import RequestError
from healthcert.formats import registry
from healthcert.formats.eu_dcc import payload as hcert
from healthcert.formats.shc import card as shc
from healthcert.formats.vdsnc import seal as vdsnc
from healthcert.issuance import (
    DEFAULT_VALID_DAYS,
    IssueRequest,
    Signed,
    expiry,
    issue_many,
    shc_rid,
)
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from
from healthcert.model.kinds import EntryKind

from .rules.certs import CLOCK, HOLDER, KEYS_MADE, lab_test, recovery, vaccination

ISSUED = CLOCK - timedelta(hours=1)
ISS = "https://health.example.de/shc"


@pytest.fixture(scope="module")
def signer() -> Signer:
    return signer_from(create_dsc(create_csca("DE", now=KEYS_MADE), now=KEYS_MADE))


def _request(entry: dict[str, Any], valid_days: int | None = None) -> IssueRequest:
    return IssueRequest.model_validate({"holder": HOLDER, "entry": entry, "valid_days": valid_days})


def _recovery() -> dict[str, Any]:
    return recovery(
        first_positive=date(2026, 10, 1),
        valid_from=date(2026, 10, 12),
        valid_until=date(2027, 3, 30),
    )


def _signed(outcome: Signed | RequestError) -> Signed:
    assert isinstance(outcome, Signed), outcome
    return outcome


def test_the_expiry_rule_is_valid_days_or_the_kinds_default_within_the_dsc() -> None:
    not_after = ISSUED + timedelta(days=100)
    assert expiry(_request(lab_test(), 30), ISSUED, not_after) == ISSUED + timedelta(days=30)
    default = DEFAULT_VALID_DAYS["test"]
    assert expiry(_request(lab_test()), ISSUED, not_after) == ISSUED + timedelta(days=default)
    # A vaccination's default year would outlive the DSC: the DSC's end bounds it.
    assert expiry(_request(vaccination()), ISSUED, not_after) == not_after
    assert expiry(_request(vaccination(), 3000), ISSUED, not_after) == not_after


@pytest.mark.parametrize("format_name", registry.CERTIFICATE_FORMATS)
def test_every_format_signs_under_the_given_certificate_ids(
    signer: Signer, format_name: str
) -> None:
    requests = [_request(vaccination(), 30), _request(lab_test())]
    ids = ["URN:UVCI:01:DE:GIVENIDONE#1", "URN:UVCI:01:DE:GIVENIDTWO#2"]
    outcomes = issue_many(
        requests, signer, format_name, now=ISSUED, issuer_url=ISS, certificate_ids=ids
    )
    first, second = (_signed(outcome) for outcome in outcomes)
    assert (first.certificate_id, second.certificate_id) == tuple(ids)
    assert first.issued_at == second.issued_at == ISSUED.replace(microsecond=0)
    assert first.expires_at == ISSUED.replace(microsecond=0) + timedelta(days=30)
    assert second.expires_at == ISSUED.replace(microsecond=0) + timedelta(days=3)
    assert first.country == "DE"
    assert first.payload.startswith(registry.info(format_name).prefix)
    if format_name == registry.EU_DCC:
        decoded = hcert.decode(first.payload)
        assert decoded.dcc["v"][0]["ci"] == ids[0]
        assert decoded.expires == int(first.expires_at.timestamp())
        assert first.kid == base64.b64encode(signer.kid).decode("ascii")
    elif format_name == registry.SHC:
        card = shc.decode(first.payload)
        assert card.kid == first.kid
        assert card.claims["vc"]["rid"] == shc_rid(ids[0])
        assert card.claims["exp"] == int(first.expires_at.timestamp())
        assert ids[0] in json.dumps(card.claims)
    else:
        assert vdsnc.decode(first.payload).country == "DE"
        assert first.kid == base64.b64encode(signer.kid).decode("ascii")


@pytest.mark.parametrize("format_name", [registry.SHC, registry.ICAO_VDS_NC])
def test_a_request_the_format_cannot_carry_is_refused_in_its_place(
    signer: Signer, format_name: str
) -> None:
    requests = [_request(vaccination()), _request(_recovery()), _request(lab_test())]
    outcomes = issue_many(requests, signer, format_name, now=ISSUED, issuer_url=ISS)
    assert isinstance(outcomes[0], Signed) and isinstance(outcomes[2], Signed)
    assert isinstance(outcomes[1], RequestError)
    assert "recovery" in str(outcomes[1])


def test_a_kind_the_dsc_may_not_sign_is_refused_in_its_place() -> None:
    tests_only = signer_from(
        create_dsc(create_csca("DE", now=KEYS_MADE), [EntryKind.TEST], now=KEYS_MADE)
    )
    for format_name in registry.CERTIFICATE_FORMATS:
        outcomes = issue_many(
            [_request(lab_test()), _request(vaccination())],
            tests_only,
            format_name,
            now=ISSUED,
            issuer_url=ISS,
        )
        assert isinstance(outcomes[0], Signed), format_name
        assert isinstance(outcomes[1], RequestError)
        assert "may not sign vaccination" in str(outcomes[1])


def test_what_concerns_every_request_raises(signer: Signer) -> None:
    requests = [_request(vaccination())]
    with pytest.raises(RequestError, match="names its issuer"):
        issue_many(requests, signer, registry.SHC, now=ISSUED)
    with pytest.raises(RequestError, match="unknown format 'pdf'"):
        issue_many(requests, signer, "pdf", now=ISSUED)
    rsa = signer_from(
        create_dsc(create_csca("DE", now=KEYS_MADE), algorithm="PS256", now=KEYS_MADE)
    )
    with pytest.raises(RequestError, match="ES256"):
        issue_many(requests, rsa, registry.SHC, now=ISSUED, issuer_url=ISS)
    with pytest.raises(ValueError):  # one id per request, or the call is wrong
        issue_many(requests, signer, now=ISSUED, certificate_ids=["a", "b"])


def test_a_request_without_a_country_is_refused() -> None:
    # A certificate read from a SMART Health Card may leave its country unknown (null); one
    # that is issued always names it.
    from healthcert.issuance import parse_request
    from healthcert.model.certificate import Certificate

    entry = {**vaccination(), "country": None}
    assert Certificate.model_validate({"holder": HOLDER, "entry": entry}).entry.country is None
    with pytest.raises(RequestError, match=r"entry.country must name the country .*not null"):
        parse_request({"holder": HOLDER, "entry": entry})
    missing = {key: value for key, value in vaccination().items() if key != "country"}
    with pytest.raises(RequestError, match=r"entry\.vaccination\.country: Field required"):
        parse_request({"holder": HOLDER, "entry": missing})

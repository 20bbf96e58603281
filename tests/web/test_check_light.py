"""The check page reads a light certificate: the holder's name and date of birth, its
validity, and no health data; at home green, abroad red with the reason written."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from healthcert.issuance import issue_light
from tests.rules.certs import CLOCK, vaccination
from tests.web.conftest import CLOCK_FIELD

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.rules.certs import Issuer
    from tests.web.conftest import Samples


@pytest.mark.parametrize(
    ("country", "verdict", "reason"),
    [("DE", 'class="outcome green"', None), ("CN", 'class="outcome red"', "NOT_FOR_ENTRY")],
)
def test_a_light_certificate_shows_who_and_nothing_of_health(
    web_client: TestClient,
    samples: Samples,
    issuer: Issuer,
    country: str,
    verdict: str,
    reason: str | None,
) -> None:
    source = issuer.verify(issuer.issue(vaccination()))
    payload = issue_light(source, issuer.signer, now=CLOCK - timedelta(minutes=30))
    answer = web_client.post(
        "/check",
        data={
            "key": samples.verifier_key,
            "payload": payload,
            "at": CLOCK_FIELD,
            "country": country,
            "lang": "en",
        },
    )
    assert answer.status_code == 200
    page = answer.text
    assert verdict in page
    assert "WANG" in page and "1985-07-21" in page
    for health_data in ("Comirnaty", "EU/1/20/1528", "840539006", "Vaccine"):
        assert health_data not in page
    if reason is not None:
        assert reason in page

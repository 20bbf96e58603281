"""Issuing a record as a SMART Health Card and as an ICAO VDS-NC seal: the payloads verify
with the formats' own verifiers, and the SHC CRL lists a revoked card's rid."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.helpers import Keys, new_record

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext


def _issue(client: TestClient, keys: Keys, fmt: str) -> dict[str, Any]:
    record = new_record(client, keys)
    answer = client.post(
        f"/api/v1/records/{record}/certificates", json={"format": fmt}, headers=keys["issuer"]
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_smart_health_card_verifies_against_the_published_key(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    from healthcert.formats.base import VerificationContext
    from healthcert.formats.shc import card as shc
    from healthcert.formats.shc.issuers import ShcIssuers
    from healthcert.issuance import shc_rid
    from healthcert.report import Report
    from healthcert.trust.store import TrustStore

    issued = _issue(client, keys, "shc")
    assert issued["payload"].startswith("shc:/")
    issuers = ShcIssuers()
    issuers.add_jwks(ctx.shc_issuer, client.get("/api/v1/shc/.well-known/jwks.json").json())
    report = Report(input="card")
    verification = VerificationContext(TrustStore(), datetime.now(UTC), shc_issuers=issuers)
    shc.verify_into(report, issued["payload"], verification)
    assert report.checks["signature"] is True, report.to_dict()
    assert report.valid, report.to_dict()
    url = f"/api/v1/certificates/{issued['id']}/revoke"
    client.post(url, json={"reason": "test"}, headers=keys["issuer"])
    crls = client.get("/api/v1/revocations/shc").json()
    assert any(
        shc_rid(issued["uvci"]) in crl["rids"] for crl in crls if crl["kid"] == issued["kid"]
    )


def test_a_vds_nc_seal_verifies_and_prints(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    from healthcert.formats.base import VerificationContext
    from healthcert.formats.vdsnc import seal as vdsnc
    from healthcert.report import Report

    issued = _issue(client, keys, "icao-vds-nc")
    report = Report(input="seal")
    vdsnc.verify_into(
        report, issued["payload"], VerificationContext(ctx.trust(), datetime.now(UTC))
    )
    assert report.checks["signature"] is True, report.error_codes
    pdf = client.get(f"/api/v1/certificates/{issued['id']}/pdf", headers=keys["issuer"])
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("fmt", ["shc", "icao-vds-nc"])
def test_one_certificate_per_record_and_format(client: TestClient, keys: Keys, fmt: str) -> None:
    record = new_record(client, keys)
    url = f"/api/v1/records/{record}/certificates"
    first = client.post(url, json={"format": fmt}, headers=keys["issuer"]).json()
    again = client.post(url, json={"format": fmt}, headers=keys["issuer"])
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    other = client.post(url, json={"format": "eu-dcc"}, headers=keys["issuer"])
    assert other.status_code == 201


def test_the_verify_endpoint_checks_the_services_own_cards(client: TestClient, keys: Keys) -> None:
    issued = _issue(client, keys, "shc")
    verify = {"payload": issued["payload"]}
    assert client.post("/api/v1/verify", json=verify, headers=keys["verifier"]).json()["valid"]
    url = f"/api/v1/certificates/{issued['id']}/revoke"
    client.post(url, json={"reason": "test"}, headers=keys["issuer"])
    report = client.post("/api/v1/verify", json=verify, headers=keys["verifier"]).json()
    assert "REVOKED" in [error["code"] for error in report["errors"]]

"""Revocation holds for every format the service issues: a revoked EU DCC, SMART Health Card
or VDS-NC seal verifies REVOKED through the service, and a VDS-NC seal's signature hash is on
the published list."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from healthcert.formats import registry
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
    issued: dict[str, Any] = answer.json()
    return issued


def _verify(client: TestClient, keys: Keys, payload: str) -> dict[str, Any]:
    answer = client.post("/api/v1/verify", json={"payload": payload}, headers=keys["verifier"])
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


@pytest.mark.parametrize("fmt", registry.CERTIFICATE_FORMATS)
def test_a_revoked_certificate_verifies_revoked_in_every_format(
    client: TestClient, keys: Keys, fmt: str
) -> None:
    issued = _issue(client, keys, fmt)
    before = _verify(client, keys, issued["payload"])
    assert before["format"] == fmt
    assert before["valid"] is True, before["errors"]
    assert before["checks"]["revocation"] is True
    revoked = client.post(
        f"/api/v1/certificates/{issued['id']}/revoke",
        json={"reason": "issued in error"},
        headers=keys["issuer"],
    )
    assert revoked.status_code == 200
    after = _verify(client, keys, issued["payload"])
    assert after["valid"] is False
    assert after["checks"]["revocation"] is False
    assert "REVOKED" in [error["code"] for error in after["errors"]]


def test_the_revoked_seals_are_published_by_signature_hash(client: TestClient, keys: Keys) -> None:
    from healthcert.formats.vdsnc.seal import revocation_hash

    kept, revoked = _issue(client, keys, "icao-vds-nc"), _issue(client, keys, "icao-vds-nc")
    client.post(
        f"/api/v1/certificates/{revoked['id']}/revoke",
        json={"reason": "issued in error"},
        headers=keys["issuer"],
    )
    listed = client.get("/api/v1/revocations/vds-nc").json()
    assert listed["method"] == "signature"
    digest = revocation_hash(revoked["payload"])
    assert len(digest) == 16
    assert base64.b64encode(digest).decode("ascii") in listed["hashes"]
    assert base64.b64encode(revocation_hash(kept["payload"])).decode() not in listed["hashes"]


def test_a_seal_is_checked_against_the_list_it_is_given(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    from healthcert.formats.base import VerificationContext
    from healthcert.formats.vdsnc import seal
    from healthcert.report import Report

    payload = _issue(client, keys, "icao-vds-nc")["payload"]

    def checked(revoked: frozenset[bytes] | None) -> Report:
        report = Report(input="seal")
        context = VerificationContext(ctx.trust(), datetime.now(UTC), vdsnc_revocations=revoked)
        seal.verify_into(report, payload, context)
        return report

    assert "revocation" not in checked(None).checks  # no list: nothing claimed either way
    assert checked(frozenset({b"\0" * 16})).checks["revocation"] is True
    listed = checked(frozenset({seal.revocation_hash(payload)}))
    assert listed.checks["revocation"] is False
    assert listed.error_codes == ["REVOKED"]

"""Revocation: issuers revoke with a reason, the lists carry the certificate, and the verify
endpoint answers REVOKED."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.trust.revocation import hashes_of
from tests.service.helpers import Keys, issued_certificate

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def test_a_revoked_certificate_is_listed_and_verifies_as_revoked(
    client: TestClient, keys: Keys
) -> None:
    issued = issued_certificate(client, keys)
    before = client.post(
        "/api/v1/verify", json={"payload": issued["payload"]}, headers=keys["verifier"]
    )
    assert before.json()["valid"] is True
    assert before.json()["checks"]["revocation"] is True
    url = f"/api/v1/certificates/{issued['id']}/revoke"
    answer = client.post(url, json={"reason": "issued to the wrong person"}, headers=keys["issuer"])
    assert answer.status_code == 200
    assert answer.json()["revoked"] is True
    again = client.post(url, json={"reason": "other"}, headers=keys["issuer"])
    assert again.json()["revocation_reason"] == "issued to the wrong person"
    listed = client.get("/api/v1/revocations/eu-dcc").json()["kids"][issued["kid"]]
    signature = eu_dcc.decode(issued["payload"]).sign1.signature
    for kind, digest in hashes_of(issued["uvci"], "CN", signature).items():
        assert base64.b64encode(digest).decode() in listed[kind]
    after = client.post(
        "/api/v1/verify", json={"payload": issued["payload"]}, headers=keys["verifier"]
    )
    assert after.json()["valid"] is False
    assert after.json()["checks"]["revocation"] is False
    assert "REVOKED" in [error["code"] for error in after.json()["errors"]]


def test_the_shc_crl_is_served(client: TestClient) -> None:
    assert isinstance(client.get("/api/v1/revocations/shc").json(), list)


@pytest.mark.parametrize("role", ["recorder", "verifier", "officer"])
def test_only_issuers_revoke(client: TestClient, keys: Keys, role: str) -> None:
    issued = issued_certificate(client, keys)
    url = f"/api/v1/certificates/{issued['id']}/revoke"
    assert client.post(url, json={"reason": "x"}, headers=keys[role]).status_code == 403
    assert client.post(url, json={"reason": "x"}).status_code == 401


def test_revoking_needs_a_reason_and_a_certificate(client: TestClient, keys: Keys) -> None:
    issued = issued_certificate(client, keys)
    url = f"/api/v1/certificates/{issued['id']}/revoke"
    assert client.post(url, json={"reason": ""}, headers=keys["issuer"]).status_code == 422
    missing = client.post(
        "/api/v1/certificates/999999/revoke", json={"reason": "x"}, headers=keys["issuer"]
    )
    assert missing.status_code == 404

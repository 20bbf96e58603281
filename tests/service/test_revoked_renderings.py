"""A revoked certificate is not served as a clean QR code or paper: 410 Gone with the reason,
from the authority's routes and the holder's, even when the rendering was cached before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from tests.service import samples
from tests.service.helpers import give_contact
from tests.service.test_api_holder import _sign_in

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

RENDERINGS = ("qr.png", "qr.svg", "pdf", "pdf?size=large", "qr.png?size=small")


def _issued(client: TestClient, keys: dict[str, dict[str, str]]) -> tuple[dict[str, str], int]:
    """A new holder's certificate; a passport office gave the holder's contact."""
    record = samples.record()
    stored = client.post("/api/v1/records", json=record, headers=keys["recorder"]).json()
    give_contact(client, keys, record["holder"])  # where the holder's sign-in code goes
    issued = client.post(
        f"/api/v1/records/{stored['id']}/certificates", json={}, headers=keys["issuer"]
    )
    return record["holder"], issued.json()["id"]


def _revoke(client: TestClient, keys: dict[str, dict[str, str]], certificate: int) -> None:
    answer = client.post(
        f"/api/v1/certificates/{certificate}/revoke",
        json={"reason": "issued to the wrong person"},
        headers=keys["issuer"],
    )
    assert answer.status_code == 200


def _assert_gone(answer: object, certificate: int) -> None:
    from httpx import Response

    assert isinstance(answer, Response)
    assert answer.status_code == 410
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["detail"] == f"certificate {certificate} was revoked"
    assert body["reason"] == "issued to the wrong person"
    revoked_at = datetime.fromisoformat(body["revoked_at"])
    assert abs(datetime.now(UTC) - revoked_at) < timedelta(minutes=5)


@pytest.mark.parametrize("rendering", RENDERINGS)
def test_the_authority_gets_410_for_a_revoked_certificate(
    client: TestClient, keys: dict[str, dict[str, str]], rendering: str
) -> None:
    _holder, certificate = _issued(client, keys)
    url = f"/api/v1/certificates/{certificate}/{rendering}"
    assert client.get(url, headers=keys["issuer"]).status_code == 200  # cached now
    _revoke(client, keys, certificate)
    _assert_gone(client.get(url, headers=keys["issuer"]), certificate)
    _assert_gone(client.get(url, headers=keys["officer"]), certificate)
    # The certificate's data still says what happened to it.
    data = client.get(f"/api/v1/certificates/{certificate}", headers=keys["issuer"]).json()
    assert data["revoked"] is True


def test_the_holder_gets_410_for_their_revoked_certificate(
    client: TestClient, keys: dict[str, dict[str, str]], ctx: ServiceContext
) -> None:
    holder, certificate = _issued(client, keys)
    auth = _sign_in(client, ctx, holder["document_number"])
    url = f"/api/v1/holder/certificates/{certificate}"
    assert client.get(f"{url}/pdf", headers=auth).status_code == 200
    _revoke(client, keys, certificate)
    for rendering in RENDERINGS:
        _assert_gone(client.get(f"{url}/{rendering}", headers=auth), certificate)
    listed = client.get("/api/v1/holder/certificates", headers=auth).json()
    assert [c["revoked"] for c in listed if c["id"] == certificate] == [True]


def test_another_persons_revoked_certificate_stays_not_found(
    client: TestClient, keys: dict[str, dict[str, str]], ctx: ServiceContext
) -> None:
    _holder, certificate = _issued(client, keys)
    _revoke(client, keys, certificate)
    other, _ = _issued(client, keys)
    auth = _sign_in(client, ctx, other["document_number"])
    answer = client.get(f"/api/v1/holder/certificates/{certificate}/pdf", headers=auth)
    assert answer.status_code == 404  # a revocation tells nothing of another's certificate


def test_the_410_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/certificates/{certificate_id}/pdf",
        "/api/v1/certificates/{certificate_id}/qr.{kind}",
        "/api/v1/holder/certificates/{certificate_id}/pdf",
        "/api/v1/holder/certificates/{certificate_id}/qr.{kind}",
    ):
        gone = paths[path]["get"]["responses"]["410"]
        schema = gone["content"]["application/json"]["schema"]["$ref"]
        assert schema.endswith("/RevokedBody")

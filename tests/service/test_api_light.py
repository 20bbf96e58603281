"""A holder's light certificate through the service, on SQLite and PostgreSQL: made from their
own valid certificate only, verifiable by the service's verify endpoint, carrying no health
data, refused once the certificate is revoked, and audited without personal data."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.service.test_api_holder import _person_with_record, _sign_in

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

Keys = dict[str, dict[str, str]]


def _own_certificate(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> tuple[dict[str, str], dict[str, Any]]:
    person = _person_with_record(client, keys)
    auth = _sign_in(client, ctx, person["document_number"])
    url = f"/api/v1/holder/records/{person['record']['id']}/certificates"
    issued = client.post(url, json={"format": "eu-dcc"}, headers=auth)
    assert issued.status_code == 201, issued.text
    return auth, issued.json()


def test_a_holder_gets_a_light_certificate_a_verifier_accepts(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    auth, certificate = _own_certificate(client, keys, ctx)
    url = f"/api/v1/holder/certificates/{certificate['id']}/light"
    made = client.post(url, params={"hours": 6}, headers=auth)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["payload"].startswith("HCL1:")
    assert body["certificate_id"] == certificate["id"]
    report = client.post(
        "/api/v1/verify", json={"payload": body["payload"]}, headers=keys["verifier"]
    ).json()
    assert report["valid"] is True, report
    assert report["format"] == "light"
    assert report["exp"] == body["expires"]
    assert set(report["certificate"]) == {"kind", "holder"}
    assert report["certificate"]["holder"]["date_of_birth"] == "1985-07-21"
    text = json.dumps(report)
    for health_data in ("vaccination", "EU/1/20/1528", "dose_number", certificate["uvci"]):
        assert health_data not in text


def test_hours_out_of_bounds_are_refused(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    auth, certificate = _own_certificate(client, keys, ctx)
    url = f"/api/v1/holder/certificates/{certificate['id']}/light"
    for hours in (0, 49, "many"):
        assert client.post(url, params={"hours": hours}, headers=auth).status_code == 422


def test_a_revoked_certificate_gets_no_light_certificate(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    auth, certificate = _own_certificate(client, keys, ctx)
    revoked = client.post(
        f"/api/v1/certificates/{certificate['id']}/revoke",
        json={"reason": "issued in error"},
        headers=keys["issuer"],
    )
    assert revoked.status_code == 200, revoked.text
    refused = client.post(f"/api/v1/holder/certificates/{certificate['id']}/light", headers=auth)
    assert refused.status_code == 409
    assert "REVOKED" in refused.text


def test_only_the_holder_of_the_certificate_may_ask(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    _, theirs = _own_certificate(client, keys, ctx)
    mine, _ = _own_certificate(client, keys, ctx)
    url = f"/api/v1/holder/certificates/{theirs['id']}/light"
    assert client.post(url, headers=mine).status_code == 404
    assert client.post(url).status_code == 401


def test_the_audit_log_names_the_certificate_not_the_person(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    auth, certificate = _own_certificate(client, keys, ctx)
    made = client.post(f"/api/v1/holder/certificates/{certificate['id']}/light", headers=auth)
    assert made.status_code == 201
    events = client.get(
        "/api/v1/admin/audit", params={"action": "light.issue"}, headers=keys["admin"]
    ).json()
    mine = [event for event in events if event["object_id"] == str(certificate["id"])]
    assert len(mine) == 1
    assert mine[0]["detail"] == {"expires": made.json()["expires"]}
    text = json.dumps(mine)
    assert "WANG" not in text and "HCL1:" not in text and "1985" not in text

"""The verify endpoint: payloads and images, verdicts on request, roles, nothing stored."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.helpers import Keys, issued_certificate

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext


def issued_holder() -> dict[str, Any]:
    from tests.service import samples

    person = samples.holder()
    names = ("family_name", "given_name", "family_name_latin", "given_name_latin")
    return {name: person[name] for name in names} | {"date_of_birth": person["date_of_birth"]}


def _table_counts(ctx: ServiceContext) -> dict[str, int]:
    from sqlalchemy import func, select

    from healthcert.database.tables import Base

    with ctx.sessions() as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
        }


def test_a_payload_verifies_and_nothing_is_stored(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    issued = issued_certificate(client, keys)
    before = _table_counts(ctx)
    report = client.post(
        "/api/v1/verify", json={"payload": issued["payload"]}, headers=keys["verifier"]
    )
    assert report.status_code == 200
    assert report.json()["valid"] is True
    assert report.json()["view"] == "minimal"
    assert _table_counts(ctx) == before


def test_the_default_view_shows_who_and_whether_not_health(client: TestClient, keys: Keys) -> None:
    issued = issued_certificate(client, keys)
    report = client.post(
        "/api/v1/verify",
        json={"payload": issued["payload"], "country": "DE"},
        headers=keys["verifier"],
    ).json()
    assert report["certificate"] == {"holder": issued_holder()}
    assert report["payload"] is None and "rules" not in report
    assert report["verdict"] in ("green", "yellow", "red")
    for health_data in ("EU/1/20/1528", "vaccination", issued["uvci"], issued["payload"][:30]):
        assert health_data not in json.dumps(report)


def test_the_full_view_needs_a_reason_and_is_audited_without_the_person(
    client: TestClient, keys: Keys
) -> None:
    issued = issued_certificate(client, keys)
    asked = {"payload": issued["payload"], "view": "full"}
    refused = client.post("/api/v1/verify", json=asked, headers=keys["verifier"])
    assert refused.status_code == 422
    assert "reason" in refused.text
    reason = f"secondary inspection {issued['id']}"
    full = client.post(
        "/api/v1/verify", json={**asked, "reason": reason}, headers=keys["verifier"]
    ).json()
    assert full["certificate"]["entry"]["certificate_id"] == issued["uvci"]
    events = client.get(
        "/api/v1/admin/audit",
        params={"action": "verification.full_view"},
        headers=keys["admin"],
    ).json()
    [event] = [item for item in events if item["detail"]["reason"] == reason]
    assert event["actor"] == "verifier:test verifier"
    assert event["detail"] == {"reason": reason, "reports": 1}
    assert "WANG" not in json.dumps(event) and issued["uvci"] not in json.dumps(event)


def test_an_image_verifies(client: TestClient, keys: Keys) -> None:
    issued = issued_certificate(client, keys)
    png = client.get(f"/api/v1/certificates/{issued['id']}/qr.png", headers=keys["issuer"]).content
    answer = client.post(
        "/api/v1/verify/image",
        files={"image": ("qr.png", png, "image/png")},
        headers=keys["officer"],
    )
    assert answer.status_code == 200, answer.text
    [report] = answer.json()["reports"]
    assert report["valid"] is True
    assert report["view"] == "minimal"
    full = client.post(
        "/api/v1/verify/image",
        files={"image": ("qr.png", png, "image/png")},
        data={"view": "full", "reason": "document check"},
        headers=keys["officer"],
    )
    assert full.json()["reports"][0]["certificate"]["entry"]["certificate_id"] == issued["uvci"]


def test_an_unreadable_image_gets_a_report(client: TestClient, keys: Keys) -> None:
    answer = client.post(
        "/api/v1/verify/image",
        files={"image": ("x.png", b"not an image", "image/png")},
        headers=keys["verifier"],
    )
    [report] = answer.json()["reports"]
    assert report["valid"] is False
    assert report["errors"][0]["code"] == "QR_UNREADABLE"


def test_garbage_gets_its_error_code(client: TestClient, keys: Keys) -> None:
    answer = client.post("/api/v1/verify", json={"payload": "HC1:%%%"}, headers=keys["verifier"])
    assert answer.json()["errors"][0]["code"] == "BASE45_INVALID"


def test_a_verdict_is_given_when_a_country_is_asked(client: TestClient, keys: Keys) -> None:
    issued = issued_certificate(client, keys)
    answer = client.post(
        "/api/v1/verify",
        json={"payload": issued["payload"], "country": "DE"},
        headers=keys["verifier"],
    ).json()
    assert answer["verdict"] in ("green", "yellow", "red")


@pytest.mark.parametrize("role", ["recorder", "issuer"])
def test_only_verifiers_and_officers_verify(client: TestClient, keys: Keys, role: str) -> None:
    assert (
        client.post("/api/v1/verify", json={"payload": "HC1:"}, headers=keys[role]).status_code
        == 403
    )
    assert client.post("/api/v1/verify", json={"payload": "HC1:"}).status_code == 401

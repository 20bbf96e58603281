"""A holder downloads everything held about them, and has it erased where the law allows, on
SQLite and PostgreSQL; both audited by pseudonym and counts, never by name."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from tests.service import samples
from tests.service.declaration_steps import PDF, body, traveller

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

Keys = dict[str, dict[str, str]]
DECLARATIONS = "/api/v1/holder/declarations"


def test_a_holder_downloads_everything_held_about_them(
    client: TestClient, ctx: ServiceContext, keys: Keys
) -> None:
    person = traveller(client, ctx, keys["recorder"])
    other = traveller(client, ctx, keys["recorder"])
    issued = client.post(
        f"/api/v1/holder/records/{person.records[0]}/certificates", json={}, headers=person.auth
    ).json()
    filed = client.post(DECLARATIONS, json=body(), headers=person.auth).json()
    client.post(
        f"{DECLARATIONS}/{filed['id']}/documents",
        files={"file": ("scan.pdf", PDF, "application/pdf")},
        headers=person.auth,
    )
    answer = client.get("/api/v1/holder/data", headers=person.auth)
    assert answer.status_code == 200
    data = answer.json()
    assert data["person"] == {
        "document_type": "passport",
        "issuing_country": "CN",
        "document_number": person.document_number,
        "date_of_birth": "1985-07-21",
    }
    # Where codes go, as the passport office set it; the record's own contact is the sender's.
    assert {k: data["contact"][k] for k in ("channel", "address")} == {
        "channel": "sms",
        "address": "+8613800000000",
    }
    assert data["contact"]["updated_at"]
    assert [record["id"] for record in data["records"]] == person.records
    assert data["records"][0]["contact"] == "+86 10 5555 0100"
    assert [c["uvci"] for c in data["certificates"]] == [issued["uvci"]]
    assert data["certificates"][0]["payload"] == issued["payload"]
    [declaration] = data["declarations"]
    assert declaration["id"] == filed["id"]
    assert declaration["employer"]["name"] == "Example Trading Co."
    [document] = [item for item in declaration["evidence"] if item["kind"] == "document"]
    assert base64.b64decode(document["data_base64"]) == PDF
    assert declaration["health_codes"] == []
    assert other.document_number not in json.dumps(data)
    assert client.get("/api/v1/holder/data").status_code == 401


def test_erasure_deletes_all_but_records_whose_certificates_are_in_force(
    client: TestClient, ctx: ServiceContext, keys: Keys
) -> None:
    person = traveller(client, ctx, keys["recorder"], *[_vaccination(), _vaccination(1)])
    kept_record, erased_record = person.records
    issued = client.post(
        f"/api/v1/holder/records/{kept_record}/certificates", json={}, headers=person.auth
    ).json()
    filed = client.post(DECLARATIONS, json=body(), headers=person.auth).json()
    answer = client.delete("/api/v1/holder/data", headers=person.auth)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["deleted"] == {
        "declarations": 1,
        "records": 1,
        "certificates": 0,
        "signin_codes": 1,
        "contact": 1,
    }
    assert result["kept"] == [
        {
            "record_id": kept_record,
            "until": issued["expires_at"],
            "reason": f"a certificate of this record is in force until {issued['expires_at']}: "
            "it stays revocable until then, and is deleted when it ends",
        }
    ]
    left = client.get("/api/v1/holder/data", headers=person.auth).json()
    assert [record["id"] for record in left["records"]] == [kept_record]
    assert left["declarations"] == []
    assert left["contact"] is None  # no code reaches them until an identity source sets one
    assert client.get(f"{DECLARATIONS}/{filed['id']}", headers=person.auth).status_code == 404
    assert erased_record not in [r["id"] for r in left["records"]]
    events = client.get(
        "/api/v1/admin/audit", params={"action": "holder.erase"}, headers=keys["admin"]
    ).json()
    mine = [event for event in events if event["detail"].get("kept_records") == 1]
    assert mine, events
    assert person.document_number not in json.dumps(events)


def _vaccination(dose: int = 2) -> dict[str, object]:
    return samples.vaccination(dose_number=dose)

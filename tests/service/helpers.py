"""Steps the API tests share: report a record, issue its certificate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.service import samples

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

Keys = dict[str, dict[str, str]]


def new_record(client: TestClient, keys: Keys, entry: dict[str, Any] | None = None) -> int:
    answer = client.post("/api/v1/records", json=samples.record(entry), headers=keys["recorder"])
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def issued_certificate(
    client: TestClient, keys: Keys, entry: dict[str, Any] | None = None
) -> dict[str, Any]:
    record = new_record(client, keys, entry)
    answer = client.post(
        f"/api/v1/records/{record}/certificates", json={"format": "eu-dcc"}, headers=keys["issuer"]
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result

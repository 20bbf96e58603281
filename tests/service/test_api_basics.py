"""Health, readiness, the OpenAPI document, API keys and the 401/403 rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    ready = client.get("/api/v1/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_openapi_lists_the_api(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "healthcert"
    assert "/api/v1/admin/api-keys" in document["paths"]


def test_a_missing_or_wrong_key_gets_401(client: TestClient) -> None:
    assert client.get("/api/v1/admin/api-keys").status_code == 401
    wrong = client.get("/api/v1/admin/api-keys", headers={"X-API-Key": "hck_nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("role", ["recorder", "issuer", "verifier", "officer"])
def test_other_roles_may_not_manage_keys(
    client: TestClient, keys: dict[str, dict[str, str]], role: str
) -> None:
    answer = client.post(
        "/api/v1/admin/api-keys", json={"role": "admin", "label": "x"}, headers=keys[role]
    )
    assert answer.status_code == 403


def test_admin_creates_uses_and_revokes_a_key(
    client: TestClient, keys: dict[str, dict[str, str]], ctx: ServiceContext
) -> None:
    created = client.post(
        "/api/v1/admin/api-keys", json={"role": "admin", "label": "ops"}, headers=keys["admin"]
    )
    assert created.status_code == 201
    secret = created.json()["key"]
    listed = client.get("/api/v1/admin/api-keys", headers={"X-API-Key": secret}).json()
    assert all("key" not in key and secret not in str(key) for key in listed)
    key_id = created.json()["id"]
    assert (
        client.delete(f"/api/v1/admin/api-keys/{key_id}", headers=keys["admin"]).status_code == 204
    )
    assert client.get("/api/v1/admin/api-keys", headers={"X-API-Key": secret}).status_code == 401


def test_keys_are_stored_hashed(ctx: ServiceContext, keys: dict[str, dict[str, str]]) -> None:
    from sqlalchemy import select

    from healthcert.database.tables import ApiKey
    from healthcert.service.apikeys import hash_key

    secret = keys["verifier"]["X-API-Key"]
    with ctx.sessions() as session:
        stored = session.scalars(select(ApiKey.key_hash)).all()
    assert hash_key(secret) in stored
    assert secret not in stored


def test_an_unknown_role_is_refused(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    answer = client.post(
        "/api/v1/admin/api-keys", json={"role": "root", "label": "x"}, headers=keys["admin"]
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "role"

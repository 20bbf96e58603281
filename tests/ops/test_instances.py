"""Several instances on one PostgreSQL: what one instance does, the other sees. Sessions and
rate limits live in the database; revocation lists and API keys are cached per process and
refreshed, so another instance sees a revocation within 10 s. One instance runs two workers,
so the same holds between the workers of one ``serve``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.ops.cluster import Cluster
from tests.ops.conftest import api_key
from tests.ops.instances import Instance
from tests.service import samples
from tests.service.helpers import identity_of

REVOCATION_SEEN_WITHIN = 10.0


@pytest.fixture
def pair(
    database: str, service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[Instance, Instance]]:
    first = Instance(service_env, database, tmp_path / "first.log")
    second = Instance(service_env, database, tmp_path / "second.log", "--workers", "2")
    try:
        yield first, second
    finally:
        assert first.stop() == 0
        assert second.stop() == 0


def _issue(base: str, keys: dict[str, dict[str, str]], contact: str) -> dict[str, Any]:
    """A certificate of a new holder, whose contact the passport office (``identity``) set."""
    record = samples.record()
    stored = httpx.post(f"{base}/records", json=record, headers=keys["recorder"], timeout=30)
    assert stored.status_code == 201, stored.text
    person = identity_of(record["holder"])
    given = httpx.put(
        f"{base}/identity/contact",
        json={**person, "contact": contact},
        headers=keys["identity"],
        timeout=30,
    )
    assert given.status_code == 200, given.text
    url = f"{base}/records/{stored.json()['id']}/certificates"
    issued = httpx.post(url, json={"format": "eu-dcc"}, headers=keys["issuer"], timeout=30)
    assert issued.status_code == 201, issued.text
    return {**issued.json(), "person": person}


def _verify(base: str, key: dict[str, str], payload: str) -> dict[str, object]:
    answer = httpx.post(f"{base}/verify", json={"payload": payload}, headers=key, timeout=30)
    assert answer.status_code == 200, answer.text
    report: dict[str, object] = answer.json()
    return report


def _keys(service_env: dict[str, str], database: str) -> dict[str, dict[str, str]]:
    roles = ("admin", "recorder", "issuer", "verifier")
    keys = {role: api_key(service_env, database, role) for role in roles}
    keys["identity"] = api_key(service_env, database, "recorder", "--identity-source")
    return keys


def test_a_revocation_on_one_instance_is_seen_by_the_other_within_10_s(
    pair: tuple[Instance, Instance], database: str, service_env: dict[str, str]
) -> None:
    first, second = pair
    keys = _keys(service_env, database)
    issued = _issue(first.base, keys, "+861055550101")
    # Issued on the first, already stored once for both: the second re-issue finds it.
    again = httpx.post(
        f"{second.base}/records/{issued['record']}/certificates",
        json={"format": "eu-dcc"},
        headers=keys["issuer"],
    )
    assert again.status_code == 200 and again.json()["id"] == issued["id"]
    for _ in range(4):  # each of the second's workers has built its revocation set by now
        assert _verify(second.base, keys["verifier"], issued["payload"])["valid"] is True
    revoked = httpx.post(
        f"{first.base}/certificates/{issued['id']}/revoke",
        json={"reason": "issued in error"},
        headers=keys["issuer"],
    )
    assert revoked.status_code == 200
    start = time.monotonic()
    streak = 0  # consecutive REVOKED answers: both workers of the second instance must agree
    while streak < 6:
        report = _verify(second.base, keys["verifier"], issued["payload"])
        codes = [error["code"] for error in report["errors"]]  # type: ignore[attr-defined]
        streak = streak + 1 if "REVOKED" in codes else 0
        assert time.monotonic() - start < REVOCATION_SEEN_WITHIN, "revocation not seen in 10 s"
        time.sleep(0.1)


def test_a_revoked_api_key_stops_working_on_every_instance(
    pair: tuple[Instance, Instance], database: str, service_env: dict[str, str]
) -> None:
    first, second = pair
    keys = _keys(service_env, database)
    verifier = keys["verifier"]
    assert httpx.post(f"{second.base}/verify", json={"payload": "x"}, headers=verifier).is_success
    listed = httpx.get(f"{first.base}/admin/api-keys", headers=keys["admin"]).json()
    digest_prefix = verifier["X-API-Key"][: len(listed[-1]["prefix"])]
    (key_id,) = [key["id"] for key in listed if key["prefix"] == digest_prefix]
    deleted = httpx.delete(f"{first.base}/admin/api-keys/{key_id}", headers=keys["admin"])
    assert deleted.status_code == 204
    start = time.monotonic()
    while httpx.post(f"{second.base}/verify", json={"payload": "x"}, headers=verifier).is_success:
        assert time.monotonic() - start < 11.0, "a revoked key still works after the cache TTL"
        time.sleep(0.2)


def _code(cluster: Cluster, database: str, contact: str) -> str:
    name = database.rsplit("/", 1)[1]
    with psycopg.connect(cluster.dsn(name)) as connection:
        body = connection.execute(
            "SELECT body FROM outbox WHERE recipient = %s ORDER BY id DESC LIMIT 1", (contact,)
        ).fetchone()
    assert body is not None
    found = re.search(r"\b(\d{6})\b", body[0])
    assert found is not None
    return found.group(1)


def test_a_session_opened_on_one_instance_holds_on_the_other_and_ends_on_both(
    pair: tuple[Instance, Instance], cluster: Cluster, database: str, service_env: dict[str, str]
) -> None:
    first, second = pair
    contact = "+861055550102"
    issued = _issue(first.base, _keys(service_env, database), contact)
    person = issued["person"]
    assert httpx.post(f"{first.base}/holder/sign-in", json=person).status_code == 202
    code = _code(cluster, database, contact)
    opened = httpx.post(f"{second.base}/holder/session", json={**person, "code": code})
    assert opened.status_code == 201, opened.text
    bearer = {"Authorization": f"Bearer {opened.json()['token']}"}
    mine = httpx.get(f"{first.base}/holder/certificates", headers=bearer)
    assert mine.status_code == 200
    assert [certificate["id"] for certificate in mine.json()] == [issued["id"]]
    assert httpx.delete(f"{second.base}/holder/session", headers=bearer).status_code == 204
    assert httpx.get(f"{first.base}/holder/certificates", headers=bearer).status_code == 401


def test_rate_limits_count_the_attempts_made_on_every_instance(
    pair: tuple[Instance, Instance],
) -> None:
    first, second = pair
    person = {
        "document_type": "passport",
        "issuing_country": "CN",
        "document_number": "E0RATE01",
        "date_of_birth": "1990-01-01",
    }
    # Five code requests per person in 15 minutes, wherever they arrive.
    answers = [
        httpx.post(f"{instance.base}/holder/sign-in", json=person).status_code
        for instance in (first, second, first, second, second, first)
    ]
    assert answers == [202] * 5 + [429]
    assert httpx.post(f"{second.base}/holder/sign-in", json=person).status_code == 429

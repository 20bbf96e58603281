"""Issuance from a record: the payload verifies, one certificate per record and format, QR
images and the paper certificate, roles."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

from tests.service import samples

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext
    from healthcert.trust.store import TrustStore


def _record(client: TestClient, keys: dict[str, dict[str, str]], **kwargs: Any) -> int:
    answer = client.post("/api/v1/records", json=samples.record(**kwargs), headers=keys["recorder"])
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _issue(client: TestClient, keys: dict[str, dict[str, str]], record: int) -> Any:
    return client.post(
        f"/api/v1/records/{record}/certificates", json={"format": "eu-dcc"}, headers=keys["issuer"]
    )


def test_an_issued_certificate_verifies_and_carries_its_uvci(
    client: TestClient, keys: dict[str, dict[str, str]], trust: TrustStore
) -> None:
    from healthcert.service.uvci import is_valid
    from healthcert.verification import context, verify_payload

    answer = _issue(client, keys, _record(client, keys))
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    assert is_valid(issued["uvci"]) and issued["uvci"].startswith("URN:UVCI:01:CN:")
    report = verify_payload(issued["payload"], context(trust))
    assert report.valid, report.to_dict()
    assert report.certificate is not None
    assert report.certificate["entry"]["certificate_id"] == issued["uvci"]
    assert report.certificate["holder"]["family_name"] == "王"
    assert _issue(client, keys, issued["record"]).json()["id"] == issued["id"]


def test_an_unknown_format_or_record_is_refused(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    record = _record(client, keys)
    answer = client.post(
        f"/api/v1/records/{record}/certificates", json={"format": "pdf"}, headers=keys["issuer"]
    )
    assert answer.status_code == 422
    assert _issue(client, keys, 999999).status_code == 404


@pytest.mark.parametrize("role", ["recorder", "verifier", "officer"])
def test_only_issuers_issue(client: TestClient, keys: dict[str, dict[str, str]], role: str) -> None:
    record = _record(client, keys)
    answer = client.post(f"/api/v1/records/{record}/certificates", json={}, headers=keys[role])
    assert answer.status_code == 403


def test_twenty_concurrent_requests_give_one_certificate(
    client: TestClient, keys: dict[str, dict[str, str]], ctx: ServiceContext
) -> None:
    from sqlalchemy import func, select

    from healthcert.database.tables import IssuedCertificate

    record = _record(client, keys)
    barrier = threading.Barrier(20)
    answers: list[Any] = []

    def request() -> None:
        barrier.wait()
        answers.append(_issue(client, keys, record))

    threads = [threading.Thread(target=request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201]
    assert len({a.json()["uvci"] for a in answers}) == 1
    with ctx.sessions() as session:
        count = session.scalar(select(func.count()).where(IssuedCertificate.record_id == record))
    assert count == 1


def test_qr_images_are_rendered_once_and_read_back(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    from healthcert.codec.qr import read_image

    issued = _issue(client, keys, _record(client, keys)).json()
    url = f"/api/v1/certificates/{issued['id']}"
    png = client.get(f"{url}/qr.png", headers=keys["officer"])
    assert png.headers["content-type"] == "image/png"
    assert read_image(png.content) == [issued["payload"]]
    assert client.get(f"{url}/qr.png", headers=keys["issuer"]).content == png.content
    svg = client.get(f"{url}/qr.svg", headers=keys["issuer"])
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert client.get(f"{url}/qr.png", headers=keys["verifier"]).status_code == 403
    assert client.get(url, headers=keys["recorder"]).status_code == 403
    assert client.get(url, headers=keys["issuer"]).json()["payload"] == issued["payload"]
